package main

import (
	"context"
	"fmt"
)

// verify reads every acknowledged message and document back.
func (lt *loadtest) verify(ctx context.Context, rep *loadReport) {
	for _, u := range lt.sims {
		if u.token == "" {
			continue
		}
		for conv, acked := range u.acked {
			rep.Messages += len(acked)
			var got []messageOut
			if err := lt.cl.do(ctx, "verify: GET /api/v1/conversations/{id}/messages", "GET",
				fmt.Sprintf("/api/v1/conversations/%d/messages?limit=1000", conv), u.token, nil, 200, &got); err != nil {
				rep.LostMessages += len(acked)
				continue
			}
			lost, order := missingMessages(acked, got)
			rep.LostMessages += len(lost)
			for _, m := range lost {
				lt.rec.fail("verify", fmt.Sprintf("conversation %d lost the acknowledged %s message %d %.60q", conv, m.Role, m.ID, m.Content))
			}
			if order != "" {
				lt.rec.fail("verify", fmt.Sprintf("conversation %d: %s", conv, order))
			}
		}
		rep.Documents += len(u.docs)
		var docs []struct {
			ID uint64 `json:"id"`
		}
		if err := lt.cl.do(ctx, "verify: GET /api/v1/documents", "GET", "/api/v1/documents?limit=1000", u.token, nil, 200, &docs); err != nil {
			rep.LostDocuments += len(u.docs)
			continue
		}
		have := map[uint64]bool{}
		for _, d := range docs {
			have[d.ID] = true
		}
		for _, id := range u.docs {
			if !have[id] {
				rep.LostDocuments++
				lt.rec.fail("verify", fmt.Sprintf("%s lost the acknowledged document %d", u.name, id))
			}
		}
	}
}

// missingMessages returns the acknowledged messages absent from got (in
// order: an acknowledged message must come after the one before it), and
// a description of any disorder in got.
func missingMessages(acked []ackedMessage, got []messageOut) (lost []ackedMessage, disorder string) {
	for i := 1; i < len(got); i++ {
		if got[i].ID <= got[i-1].ID || got[i].CreatedAt.Before(got[i-1].CreatedAt) {
			disorder = fmt.Sprintf("messages out of order: %d (%s) after %d (%s)", got[i].ID, got[i].CreatedAt, got[i-1].ID, got[i-1].CreatedAt)
		}
	}
	j := 0
	for _, a := range acked {
		k := j
		for ; k < len(got); k++ {
			m := got[k]
			if (a.ID != 0 && m.ID == a.ID && m.Content == a.Content && m.Role == a.Role) ||
				(a.ID == 0 && m.Role == a.Role && m.Content == a.Content) {
				break
			}
		}
		if k == len(got) {
			lost = append(lost, a)
			continue
		}
		j = k + 1
	}
	return lost, disorder
}

// check runs the store check through the admin endpoint.
func (lt *loadtest) check(ctx context.Context, token string, rep *loadReport) {
	var res struct {
		OK    bool `json:"ok"`
		Store struct {
			Problems []struct{ Kind, Detail string }
		} `json:"store"`
		Index []string `json:"index"`
	}
	ok := true
	for range lt.cl.bases { // each server in turn: every replica's index against the store
		if err := lt.cl.do(ctx, "GET /api/v1/admin/check", "GET", "/api/v1/admin/check", token, nil, 200, &res); err != nil {
			return
		}
		ok = ok && res.OK
		for _, p := range res.Store.Problems {
			rep.CheckIssues = append(rep.CheckIssues, p.Kind+": "+p.Detail)
		}
		rep.CheckIssues = append(rep.CheckIssues, res.Index...)
	}
	rep.CheckOK = &ok
}
