package main

import (
	"strings"
	"testing"
)

func TestRedactURLHidesEveryPassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://cacsd:s3cret-pw@db:5432/cacsd",
		"postgres://db/cacsd?user=cacsd&password=s3cret-pw",
		"postgresql://cacsd@db/cacsd?sslmode=verify-full&sslpassword=s3cret-pw",
		"host=db user=cacsd password=s3cret-pw",
		// A password beginning with digits, then "/", "?" or "#", reads as
		// a port and a path, query or fragment.
		"postgres://cacsd:1234/s3cret-pw@db/cacsd",
		"postgres://cacsd:12?s3cret-pw@db/cacsd",
		"postgres://cacsd:12#s3cret-pw@db/cacsd",
	} {
		got := redactURL(dsn)
		if strings.Contains(got, "s3cret-pw") {
			t.Errorf("redactURL(%q) = %q: the password shows", dsn, got)
		}
	}
	if got := redactURL("postgres://cacsd@db:5432/cacsd?sslmode=disable"); got !=
		"postgres://cacsd@db:5432/cacsd?sslmode=disable" {
		t.Errorf("redactURL of a URL without a password = %q, want it unchanged", got)
	}
	// A user name with "@" in a parameter, as some hosted services want.
	if got := redactURL("postgres://db/cacsd?user=cacsd@db&password=s3cret-pw"); strings.Contains(got, "s3cret-pw") ||
		!strings.Contains(got, "db/cacsd") {
		t.Errorf("redactURL with a user parameter holding @ = %q", got)
	}
}
