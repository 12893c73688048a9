package site

import "testing"

func TestParseHugoVersion(t *testing.T) {
	tests := []struct {
		out  string
		want Version
		ok   bool
	}{
		{"hugo v0.111.3+extended linux/amd64 BuildDate=2023-03-16T08:41:31Z VendorInfo=debian:0.111.3-1", Version{0, 111, 3}, true},
		{"hugo v0.165.0-DEV linux/amd64", Version{0, 165, 0}, true},
		{"Hugo Static Site Generator v0.54.0/extended linux/amd64", Version{0, 54, 0}, true},
		{"command not found", Version{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.out, func(t *testing.T) {
			got, err := ParseHugoVersion(tt.out)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("got %v, %v; want %v (ok %v)", got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestVersionLess(t *testing.T) {
	if !(Version{0, 54, 0}).Less(MinHugo) || (Version{0, 111, 3}).Less(MinHugo) || (Version{1, 0, 0}).Less(MinHugo) {
		t.Fatal("version order is wrong")
	}
}
