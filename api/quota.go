package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"docent/store"
)

// quotaFor is the quota documents of owner uploaded by u are held to: the
// server's defaults with u's overrides, or nil for none (admins, who set
// quotas, and the shared library, which only admins fill).
func (s *Server) quotaFor(u *store.User, owner uint64) *store.Quota {
	if owner == store.Shared || u.IsAdmin() {
		return nil
	}
	q := u.Quota.Apply(s.cfg.Quota)
	if q == (store.Quota{}) {
		return nil
	}
	return &q
}

// checkQuota refuses files more documents of size bytes that owner's quota
// q cannot take, before any work is done for them.
func (s *Server) checkQuota(ctx context.Context, q *store.Quota, owner uint64, files, size int64) error {
	if q == nil {
		return nil
	}
	u, err := s.db.Usage(ctx, owner)
	if err != nil {
		return err
	}
	return quotaError(q.Admit(u, files, size))
}

// quotaError turns a store quota error into the client's: 413 for the
// storage quota, 429 for the document and passage quotas, with a detail
// that names the quota and what is in use. Other errors pass unchanged.
func quotaError(err error) error {
	var qe *store.QuotaError
	if !errors.As(err, &qe) {
		return err
	}
	const more = "delete documents you no longer need, or ask an admin for a larger quota"
	switch qe.Limit {
	case "bytes":
		return errorf(http.StatusRequestEntityTooLarge, "storage quota: %s more would pass your quota of %s (%s in use); %s",
			sizeString(qe.Add), sizeString(qe.Max), sizeString(qe.Used), more)
	case "documents":
		return errorf(http.StatusTooManyRequests, "document quota: you have %d of the %d documents you may keep; %s", qe.Used, qe.Max, more)
	default:
		return errorf(http.StatusTooManyRequests, "passage quota: your documents hold %d passages of the %d you may have; %s", qe.Used, qe.Max, more)
	}
}

// quotaJSON is a quota as clients see it: null for no limit.
type quotaJSON struct {
	Documents *int64 `json:"documents"`
	Bytes     *int64 `json:"bytes"`
	Chunks    *int64 `json:"chunks"`
}

func toQuotaJSON(q *store.Quota) *quotaJSON {
	out := &quotaJSON{}
	if q == nil {
		return out
	}
	for _, f := range []struct {
		v   int64
		dst **int64
	}{{q.Documents, &out.Documents}, {q.Bytes, &out.Bytes}, {q.Chunks, &out.Chunks}} {
		if f.v > 0 {
			v := f.v
			*f.dst = &v
		}
	}
	return out
}

// withUsage adds u's usage, effective quota and overrides to its JSON.
func (s *Server) withUsage(ctx context.Context, u *store.User) (userJSON, error) {
	out := toUserJSON(u)
	usage, err := s.db.Usage(ctx, u.ID)
	if err != nil {
		return out, err
	}
	out.Usage, out.Quota, out.QuotaOverride = &usage, toQuotaJSON(s.quotaFor(u, u.ID)), u.Quota
	return out, nil
}

// parseQuotaOverride reads an admin's {"quota": ...}: null goes back to
// the defaults; in an object a number replaces a field's default (0 for
// no limit) and a field left out or null follows the default.
func parseQuotaOverride(raw json.RawMessage) (*store.QuotaOverride, error) {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	var o store.QuotaOverride
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return nil, invalid("quota", `must be null or an object of "documents", "bytes" and "chunks", each a number or null`)
	}
	for _, v := range []*int64{o.Documents, o.Bytes, o.Chunks} {
		if v != nil && *v < 0 {
			return nil, invalid("quota", "limits are numbers ≥ 0 (0 for no limit)")
		}
	}
	if o == (store.QuotaOverride{}) {
		return nil, nil
	}
	return &o, nil
}
