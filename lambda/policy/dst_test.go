package policy

import (
	"go/build"
	"slices"
	"strings"
	"testing"
	"time"
)

// windowPolicy is a policy whose only rule allows anyone inside one window.
func windowPolicy(t *testing.T, window string) *Policy {
	t.Helper()
	return mustParse(t, withRules(okRule+"    time_windows:\n      - "+window+"\n"))
}

// openMinutes evaluates p at every minute of [from, to) and returns how many minutes
// were inside its window, and the first and last of them.
func openMinutes(p *Policy, from, to time.Time) (n int, first, last time.Time) {
	for at := from; at.Before(to); at = at.Add(time.Minute) {
		if p.Evaluate(Request{PrincipalARN: "arn:aws:iam::111111111111:user/a", Profile: "readonly", Time: at}).Allowed {
			if n == 0 {
				first = at
			}
			last = at
			n++
		}
	}
	return n, first, last
}

func utcMinute(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestTimeWindowsAcrossDST pins what a window does on the nights the clocks change, with
// fixed instants on real 2026 transition dates: a window is wall-clock time, so the
// local times the clocks skip match nothing and the local times they show twice match
// both times.
func TestTimeWindowsAcrossDST(t *testing.T) {
	// The premises: the zone database has these transitions (checked, so that a change
	// in the rules fails here rather than in a confusing case below).
	transitions := []struct {
		zone, at, before, after string
	}{
		{"Europe/London", "2026-03-29 01:00", "Sun 00:59 GMT", "Sun 02:00 BST"},
		{"Europe/London", "2026-10-25 01:00", "Sun 01:59 BST", "Sun 01:00 GMT"},
		{"America/New_York", "2026-03-08 07:00", "Sun 01:59 EST", "Sun 03:00 EDT"},
		{"America/New_York", "2026-11-01 06:00", "Sun 01:59 EDT", "Sun 01:00 EST"},
		{"America/Santiago", "2026-04-05 03:00", "Sat 23:59 -03", "Sat 23:00 -04"},
		{"America/Santiago", "2026-09-06 04:00", "Sat 23:59 -04", "Sun 01:00 -03"},
	}
	for _, tr := range transitions {
		loc, err := time.LoadLocation(tr.zone)
		if err != nil {
			t.Fatal(err)
		}
		at := utcMinute(tr.at)
		if b, a := at.Add(-time.Minute).In(loc).Format("Mon 15:04 MST"), at.In(loc).Format("Mon 15:04 MST"); b != tr.before || a != tr.after {
			t.Fatalf("%s at %s UTC: %s -> %s; want %s -> %s", tr.zone, tr.at, b, a, tr.before, tr.after)
		}
	}

	tests := []struct {
		name        string
		window      string
		from, to    string // UTC, the span evaluated minute by minute
		minutes     int    // minutes inside the window
		first, last string // UTC; empty when minutes is 0
	}{
		// Spring forward: 01:00-02:00 local does not exist.
		{"London spring, window overlapping the gap", `{start: "01:30", end: "02:30", timezone: Europe/London}`,
			"2026-03-28 22:00", "2026-03-29 04:00", 30, "2026-03-29 01:00", "2026-03-29 01:29"},
		{"London spring, window inside the gap", `{start: "01:00", end: "02:00", timezone: Europe/London}`,
			"2026-03-28 22:00", "2026-03-29 04:00", 0, "", ""},
		{"London a week before, same window", `{start: "01:00", end: "02:00", timezone: Europe/London}`,
			"2026-03-21 22:00", "2026-03-22 04:00", 60, "2026-03-22 01:00", "2026-03-22 01:59"},
		{"New York spring, window inside the gap", `{start: "02:00", end: "03:00", timezone: America/New_York}`,
			"2026-03-08 04:00", "2026-03-08 10:00", 0, "", ""},
		{"New York spring, window around the gap", `{start: "01:30", end: "03:30", timezone: America/New_York}`,
			"2026-03-08 04:00", "2026-03-08 10:00", 60, "2026-03-08 06:30", "2026-03-08 07:29"},
		// Fall back: 01:00-02:00 local happens twice.
		{"London autumn, repeated hour", `{start: "01:00", end: "02:00", timezone: Europe/London}`,
			"2026-10-24 22:00", "2026-10-25 04:00", 120, "2026-10-25 00:00", "2026-10-25 01:59"},
		{"London autumn, window ending in the repeated hour", `{start: "00:30", end: "01:30", timezone: Europe/London}`,
			"2026-10-24 22:00", "2026-10-25 04:00", 90, "2026-10-24 23:30", "2026-10-25 01:29"},
		{"New York autumn, repeated hour", `{start: "01:00", end: "02:00", timezone: America/New_York}`,
			"2026-11-01 03:00", "2026-11-01 09:00", 120, "2026-11-01 05:00", "2026-11-01 06:59"},
		// Windows crossing midnight keep their local start and end: shorter or longer.
		{"London Saturday night, spring", `{days: [sat], start: "22:00", end: "06:00", timezone: Europe/London}`,
			"2026-03-28 12:00", "2026-03-29 12:00", 7 * 60, "2026-03-28 22:00", "2026-03-29 04:59"},
		{"London Saturday night, autumn", `{days: [sat], start: "22:00", end: "06:00", timezone: Europe/London}`,
			"2026-10-24 12:00", "2026-10-25 12:00", 9 * 60, "2026-10-24 21:00", "2026-10-25 05:59"},
		// Santiago changes its clocks at midnight, so the day itself moves.
		{"Santiago, the skipped midnight hour", `{days: [sun], start: "00:00", end: "01:00", timezone: America/Santiago}`,
			"2026-09-05 12:00", "2026-09-06 12:00", 0, "", ""},
		{"Santiago, Sunday from its first minute", `{days: [sun], start: "00:00", end: "02:00", timezone: America/Santiago}`,
			"2026-09-05 12:00", "2026-09-06 12:00", 60, "2026-09-06 04:00", "2026-09-06 04:59"},
		{"Santiago, Saturday's last hour twice", `{days: [sat], start: "23:00", end: "24:00", timezone: America/Santiago}`,
			"2026-04-04 12:00", "2026-04-05 12:00", 120, "2026-04-05 02:00", "2026-04-05 03:59"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := windowPolicy(t, tt.window)
			n, first, last := openMinutes(p, utcMinute(tt.from), utcMinute(tt.to))
			if n != tt.minutes {
				t.Errorf("open %d minutes (%s to %s UTC); want %d", n, first.Format("01-02 15:04"), last.Format("01-02 15:04"), tt.minutes)
			}
			if tt.minutes > 0 && (!first.Equal(utcMinute(tt.first)) || !last.Equal(utcMinute(tt.last))) {
				t.Errorf("open from %s to %s UTC; want %s to %s", first.Format("2006-01-02 15:04"), last.Format("2006-01-02 15:04"), tt.first, tt.last)
			}
		})
	}
}

// TestExplainTellsRepeatedHourApart pins that Explain names the zone abbreviation, so
// the two passes through a repeated hour read differently.
func TestExplainTellsRepeatedHourApart(t *testing.T) {
	p := windowPolicy(t, `{start: "08:00", end: "18:00", timezone: Europe/London}`)
	var got []string
	for _, at := range []string{"2026-10-25 00:30", "2026-10-25 01:30"} {
		r := p.Explain(Request{PrincipalARN: "arn:aws:iam::111111111111:user/a", Profile: "readonly", Time: utcMinute(at)})
		got = append(got, r[0].Detail)
	}
	want := []string{
		"outside its time windows: it is Sun 01:30 BST in Europe/London",
		"outside its time windows: it is Sun 01:30 GMT in Europe/London",
	}
	if !slices.Equal(got, want) {
		t.Errorf("details %q; want %q", got, want)
	}
}

// TestEmbedsTZData pins that the package itself imports time/tzdata, so that every
// binary using it (the TVM on provided.al2023, vend in a scratch container) can load
// time zones without a zoneinfo database on the machine.
func TestEmbedsTZData(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(pkg.Imports, "time/tzdata") {
		t.Errorf("package imports %s; want time/tzdata among them", strings.Join(pkg.Imports, ", "))
	}
	for _, f := range pkg.GoFiles {
		if f == "tzdata.go" {
			return
		}
	}
	t.Errorf("tzdata.go is not built by default (files %v)", pkg.GoFiles)
}
