package site

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStartServerRefusesNonLoopback(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "index.html"), "home")
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "localhost:0", "nonsense"} {
		t.Run(addr, func(t *testing.T) {
			if s, err := StartServer(dir, addr); err == nil {
				s.Close()
				t.Fatalf("StartServer(%q) listened", addr)
			}
		})
	}
	if _, err := StartServer(t.TempDir(), "127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "site:build") {
		t.Fatalf("err = %v for a folder without a built site", err)
	}
}

func TestServerServesLikeS3(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "index.html"), "home")
	write(t, filepath.Join(dir, "404.html"), "not here")
	write(t, filepath.Join(dir, "quick-start", "index.html"), "quick")
	write(t, filepath.Join(dir, "css", "site.min.8eb8235249212a4fc0f86477284601435b5312c8d9250192a21729d7752b691f.css"), "body{}")
	s, err := StartServer(dir, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	client := &http.Client{Timeout: 5 * time.Second}
	tests := []struct {
		path, body, contentType, cache string
		status                         int
	}{
		{"", "home", "text/html; charset=utf-8", CacheRevalidate, 200},
		{"quick-start/", "quick", "text/html; charset=utf-8", CacheRevalidate, 200},
		{"css/site.min.8eb8235249212a4fc0f86477284601435b5312c8d9250192a21729d7752b691f.css", "body{}", "text/css; charset=utf-8", CacheImmutable, 200},
		{"missing/", "not here", "text/html; charset=utf-8", "no-store", 404},
		{"../../etc/passwd", "not here", "text/html; charset=utf-8", "no-store", 404},
	}
	for _, tt := range tests {
		t.Run("/"+tt.path, func(t *testing.T) {
			resp, err := client.Get(s.URL() + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || string(body) != tt.body {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, tt.status, tt.body)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type %q, want %q", got, tt.contentType)
			}
			if got := resp.Header.Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control %q, want %q", got, tt.cache)
			}
		})
	}
}
