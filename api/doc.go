// Package api is docent's HTTP interface: the chi router, handlers,
// middleware (request ids, access log, panic recovery, CORS, security
// headers, metrics, authentication), the problem+json error format,
// Server-Sent Events and WebSocket streaming, and the OpenAPI document.
//
// Handlers are thin: decode, call the store or a service, encode. Every
// lookup of user data goes through the caller's id, so another user's
// resource answers 404, exactly like a missing one.
package api
