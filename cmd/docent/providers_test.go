package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"docent/internal/llmtest"
)

// docentEnv runs the binary with extra environment variables.
func docentEnv(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append(os.Environ(), "DOCENT_LOG_LEVEL=warn"), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestOllamaEmbedderAndLLMThenReindex(t *testing.T) {
	fake := llmtest.NewOllama(t)
	fake.Reply = func(llmtest.Request) string { return "Alpha particles are helium nuclei [1]." }
	host := "OLLAMA_HOST=" + strings.TrimPrefix(fake.URL, "http://") // without a scheme, as Ollama users write it
	root := writeTree(t, map[string][]byte{"a.md": []byte("# A\n\nAlpha particles are helium nuclei.\n")})
	data := t.TempDir()

	if _, stderr, code := docentEnv(t, []string{host}, "ingest", root, "--data", data, "--embedder", "ollama", "-q"); code != 0 {
		t.Fatalf("ingest with ollama embeddings: %s", stderr)
	}
	if len(fake.Requests()) == 0 || fake.Requests()[0].Path != "/api/embed" {
		t.Fatalf("the embedder did not call /api/embed: %+v", fake.Requests())
	}
	out, stderr, code := docentEnv(t, []string{host}, "ask", "What are alpha particles?", "--data", data,
		"--embedder", "ollama", "--llm", "ollama", "--llm-model", "tiny", "--json")
	if code != 0 || !strings.Contains(out, `"mode":"llm"`) || !strings.Contains(out, `"model":"tiny"`) || !strings.Contains(out, "helium") {
		t.Fatalf("ask through ollama: %d %s %s", code, out, stderr)
	}

	_, stderr, code = docent(t, "", "search", "alpha", "--data", data)
	if code == 0 || !strings.Contains(stderr, "docent reindex") || !strings.Contains(stderr, "ollama/") {
		t.Errorf("a different embedder must be refused, naming reindex: %d %q", code, stderr)
	}
	if out, stderr, code := docent(t, "", "reindex", "--data", data); code != 0 || !strings.Contains(out, "reindexed with builtin") {
		t.Fatalf("reindex: %d %q %q", code, out, stderr)
	}
	out, _, code = docent(t, "", "search", "alpha", "--data", data, "--json")
	if code != 0 || !strings.Contains(out, "a.md") {
		t.Errorf("search after reindex: %d %s", code, out)
	}
}

func TestUnreachableLLMIsAClearError(t *testing.T) {
	root := writeTree(t, map[string][]byte{"a.md": []byte("# A\n\nAlpha particles are helium nuclei.\n")})
	data := t.TempDir()
	docent(t, "", "ingest", root, "--data", data, "-q")
	_, stderr, code := docentEnv(t, []string{"OPENAI_BASE_URL=http://127.0.0.1:1/v1"}, "ask", "What are alpha particles?",
		"--data", data, "--llm", "openai", "--llm-timeout", "2s")
	if code == 0 || !strings.Contains(stderr, "openai-compatible server at http://127.0.0.1:1/v1") {
		t.Errorf("unreachable LLM: %d %q", code, stderr)
	}
}
