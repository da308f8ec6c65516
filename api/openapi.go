package api

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// openAPI serves the OpenAPI 3.1 description, built from the route table.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.openAPIDocument())
}

type obj = map[string]any

var pathParam = regexp.MustCompile(`\{(\w+)\}`)

// openAPIDocument describes every route of s.routes().
func (s *Server) openAPIDocument() obj {
	paths := obj{}
	for _, rt := range s.routes() {
		item, _ := paths[rt.pattern].(obj)
		if item == nil {
			item = obj{}
			paths[rt.pattern] = item
		}
		item[strings.ToLower(rt.method)] = operation(rt)
	}
	return obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":       "docent",
			"version":     s.cfg.Version,
			"description": "Ask questions about your documents and get answers that cite the passages they came from.",
		},
		"paths": paths,
		"components": obj{
			"schemas": schemas(),
			"securitySchemes": obj{"bearer": obj{
				"type":  "oauth2",
				"flows": obj{"password": obj{"tokenUrl": "/api/v1/auth/token", "scopes": obj{}}},
			}},
		},
	}
}

func ref(schema string) obj { return obj{"$ref": "#/components/schemas/" + schema} }

// operation describes one route.
func operation(rt route) obj {
	op := obj{"summary": rt.summary, "operationId": operationID(rt), "x-docent-access": rt.access.String()}
	var params []obj
	for _, m := range pathParam.FindAllStringSubmatch(rt.pattern, -1) {
		params = append(params, obj{"name": m[1], "in": "path", "required": true, "schema": obj{"type": "integer"}})
	}
	if rt.method == "GET" && strings.HasSuffix(rt.responsesSchema(), "List") {
		params = append(params,
			obj{"name": "skip", "in": "query", "schema": obj{"type": "integer", "minimum": 0, "default": 0}},
			obj{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}})
	}
	if params != nil {
		op["parameters"] = params
	}
	if rt.request != "" {
		op["requestBody"] = obj{"required": true, "content": requestContent(rt.request)}
	}
	responses := obj{}
	for status, schema := range rt.responses {
		resp := obj{"description": http.StatusText(status)}
		if schema != "" {
			resp["content"] = obj{contentType(schema): obj{"schema": ref(schema)}}
		}
		responses[strconv.Itoa(status)] = resp
	}
	problem := obj{"application/problem+json": obj{"schema": ref("Problem")}}
	responses["default"] = obj{"description": "An error", "content": problem}
	if rt.access != accessPublic {
		op["security"] = []obj{{"bearer": []string{}}}
		responses["401"] = obj{"description": "Missing or invalid token", "content": problem}
	}
	op["responses"] = responses
	return op
}

// responsesSchema returns the schema of the route's success response.
func (rt route) responsesSchema() string {
	for status, schema := range rt.responses {
		if status < 300 {
			return schema
		}
	}
	return ""
}

func operationID(rt route) string {
	id := strings.ToLower(rt.method) + pathParam.ReplaceAllString(rt.pattern, "by_$1")
	return strings.NewReplacer("/api/v1/", "_", "/", "_", ".", "_").Replace(id)
}

func contentType(schema string) string {
	if schema == "Problem" {
		return "application/problem+json"
	}
	return "application/json"
}

func requestContent(schema string) obj {
	switch schema {
	case "TokenRequest":
		return obj{
			"application/x-www-form-urlencoded": obj{"schema": ref(schema)},
			"application/json":                  obj{"schema": ref(schema)},
		}
	case "Upload":
		return obj{"multipart/form-data": obj{"schema": ref(schema)}, "application/json": obj{"schema": ref("UploadURL")}}
	}
	return obj{"application/json": obj{"schema": ref(schema)}}
}

// Schema building helpers.
func str() obj                  { return obj{"type": "string"} }
func integer() obj              { return obj{"type": "integer"} }
func boolean() obj              { return obj{"type": "boolean"} }
func number() obj               { return obj{"type": "number"} }
func timestamp() obj            { return obj{"type": "string", "format": "date-time"} }
func arrayOf(items obj) obj     { return obj{"type": "array", "items": items} }
func enum(values ...string) obj { return obj{"type": "string", "enum": values} }
func object(required []string, props obj) obj {
	o := obj{"type": "object", "properties": props}
	if required != nil {
		o["required"] = required
	}
	return o
}
