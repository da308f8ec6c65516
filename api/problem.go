package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5/middleware"
)

// maxJSONBody caps JSON request bodies.
const maxJSONBody = 1 << 20

// Problem is an RFC 9457 problem detail, docent's error body.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
}

// FieldError names one invalid input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// httpError is an error that knows its status and its public detail.
type httpError struct {
	status int
	detail string
	fields []FieldError
}

func (e *httpError) Error() string { return e.detail }

// errorf returns an error answered with status and the formatted detail.
func errorf(status int, format string, args ...any) error {
	return &httpError{status: status, detail: fmt.Sprintf(format, args...)}
}

// invalid returns a 422 error naming the field.
func invalid(field, message string) error {
	return &httpError{
		status: http.StatusUnprocessableEntity,
		detail: field + ": " + message,
		fields: []FieldError{{Field: field, Message: message}},
	}
}

// invalidFields returns one 422 error naming every field of fields (nil
// when there is none); the detail lists them all.
func invalidFields(fields []FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return &httpError{status: http.StatusUnprocessableEntity, detail: strings.Join(parts, "; "), fields: fields}
}

// errSlowBody answers a request whose body arrived slower than the floor.
var errSlowBody = errorf(http.StatusRequestTimeout, "the request body arrived too slowly; send it at a steady pace")

// writeProblem answers with a problem+json body (OpenAI's error shape
// under /v1).
func writeProblem(w http.ResponseWriter, r *http.Request, status int, detail string, fields []FieldError) {
	if isOpenAIPath(r) {
		writeOpenAIError(w, status, detail, fields)
		return
	}
	p := Problem{
		Type:      "about:blank",
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		RequestID: middleware.GetReqID(r.Context()),
		Errors:    fields,
	}
	w.Header().Set("Content-Type", "application/problem+json")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="docent"`)
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// decodeJSON reads a JSON object of at most maxJSONBody bytes into v.
// Unknown fields, wrong types, trailing data and invalid UTF-8 are client
// errors with a detail that says which. The Content-Type is not insisted on
// (curl -d sends a form type), but a multipart body is refused.
func decodeJSON(r *http.Request, v any) error {
	body, err := readJSONBody(r)
	if err != nil {
		return err
	}
	return decodeJSONBytes(body, v)
}

// readJSONBody reads a JSON body of at most maxJSONBody bytes, refusing a
// multipart one, one too large and one that arrives too slowly.
func readJSONBody(r *http.Request) ([]byte, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		return nil, errorf(http.StatusUnsupportedMediaType, "the body must be JSON (Content-Type: application/json)")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxJSONBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, errorf(http.StatusRequestEntityTooLarge, "the JSON body is larger than %d bytes", maxJSONBody)
	case errors.Is(err, errBodyTooSlow):
		return nil, errSlowBody
	case err != nil:
		return nil, errorf(http.StatusBadRequest, "could not read the request body")
	case !utf8.Valid(body):
		return nil, errorf(http.StatusBadRequest, "the body is not valid UTF-8")
	}
	return body, nil
}

// decodeJSONBytes is decodeJSON after the body is read.
func decodeJSONBytes(body []byte, v any) error {
	if !utf8.Valid(body) {
		return errorf(http.StatusBadRequest, "the body is not valid UTF-8")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "the body holds more than one JSON value")
	}
	return nil
}

// jsonError turns a decoding error into a client error with a useful detail.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case strings.Contains(err.Error(), "exceeded max depth"):
		return errorf(http.StatusBadRequest, "the JSON body is nested too deeply")
	case errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, "the body is empty; a JSON object is required")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(http.StatusBadRequest, "the body is not valid JSON")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return errorf(http.StatusUnprocessableEntity, "the body must be a JSON object")
		}
		return invalid(field, "must be "+jsonKind(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid(name, "unknown field")
	default:
		return errorf(http.StatusBadRequest, "the body is not valid JSON")
	}
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	default:
		return "a number in range"
	}
}

// fail answers a handler error: an httpError with its status and detail,
// anything else with a 500 whose detail hides the cause (logged by the caller).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeProblem(w, r, he.status, he.detail, he.fields)
		return
	}
	s.log.ErrorContext(r.Context(), "request failed", "err", err,
		"request_id", middleware.GetReqID(r.Context()), "path", r.URL.Path)
	writeProblem(w, r, http.StatusInternalServerError, "internal error; the request id identifies it in the server log", nil)
}
