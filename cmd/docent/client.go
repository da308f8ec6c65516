package main

import (
	"encoding/json"
	"io"
	"net/http"
)

// problemDetail extracts the detail of a problem+json error response.
func problemDetail(resp *http.Response) string {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var p struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(raw, &p) == nil && p.Detail != "" {
		return resp.Status + ": " + p.Detail
	}
	return resp.Status
}
