package api

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkFirstChunkOpenAI is the time to the first streamed chunk of
// POST /v1/chat/completions (extractive answers, a read API key) over 100k
// passages of Zipf text (10k with -short), beside the native one-shot
// POST /api/v1/ask streamed over the same library: the OpenAI framing
// must add nothing measurable. Reported: p50-ms and p99-ms to the first
// chunk (role and sources), and content-p50-ms to the first text.
func BenchmarkFirstChunkOpenAI(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	e := newTestEnvChat(b, Config{}, nil)
	queries := e.zipfLibrary(b, n)
	ann := e.register("ann")
	key := e.newKey(ann.Token, "bench", "read")
	for _, api := range []struct {
		name, path string
		body       func(q string) string
	}{
		{"v1", "/v1/chat/completions", func(q string) string {
			return fmt.Sprintf(`{"model":"docent","stream":true,"messages":[{"role":"user","content":%q}]}`, q)
		}},
		{"native-ask", "/api/v1/ask", func(q string) string { return fmt.Sprintf(`{"question":%q,"stream":true}`, q) }},
	} {
		b.Run(api.name, func(b *testing.B) {
			var first, content []time.Duration
			for i := 0; b.Loop(); i++ {
				f, c, err := e.firstChunks(key, api.path, api.body(queries[i%len(queries)]+"?"))
				if err != nil {
					b.Fatal(err)
				}
				first, content = append(first, f), append(content, c)
			}
			reportLatency(b, first)
			slices.Sort(content)
			b.ReportMetric(float64(content[len(content)/2].Microseconds())/1000, "content-p50-ms")
		})
	}
}

// firstChunks posts a streaming request and returns the time to its first
// data line and to its first line carrying answer text, reading the
// stream to its end.
func (e *testEnv) firstChunks(token, path, body string) (first, content time.Duration, err error) {
	req, _ := http.NewRequest("POST", e.http.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := e.http.Client().Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return 0, 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if first == 0 {
			first = time.Since(start)
		}
		var chunk struct {
			Content string `json:"content"`
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
		}
		json.Unmarshal([]byte(data), &chunk)
		if content == 0 && (chunk.Content != "" || len(chunk.Choices) > 0 && chunk.Choices[0].Delta.Content != "") {
			content = time.Since(start)
		}
	}
	if first == 0 || content == 0 {
		return 0, 0, fmt.Errorf("no answer text in the stream")
	}
	return first, content, sc.Err()
}
