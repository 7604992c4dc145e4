package repository

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"cacsd/mapping"
	"cacsd/repository/repotest"
)

// importAs imports cases as a new file for authority custodian and
// returns the first error.
func importAs(t testing.TB, s *Store, custodian string, cases ...*mapping.Case) error {
	t.Helper()
	ctx := context.Background()
	data, f := content("as.xml")
	im, err := s.Begin(ctx, f)
	if err != nil {
		return err
	}
	defer im.Rollback()
	if err := im.WriteEvidence(ctx, bytes.NewReader(data)); err != nil {
		return err
	}
	for _, c := range cases {
		if _, err := im.Merge(ctx, testExport(), custodian, c); err != nil {
			return err
		}
	}
	_, err = im.Commit(ctx, testExport(), custodian)
	return err
}

// freshStore opens a migrated store on a database of its own, for tests
// that read whole tables or views.
func freshStore(t testing.TB, prefix string) *Store {
	t.Helper()
	url := repotest.New(t, prefix)
	s, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAuthority(t *testing.T) {
	s := openStore(t)
	// ZE1 is shared by two authorities; ZE2 by a merged code and its
	// successor, which are one authority.
	if _, err := s.DB().Exec(`INSERT INTO authority_district (custodian_code, district)
        VALUES ('114', 'ZE1'), ('116', 'ZE1'), ('405', 'ZE2'), ('440', 'ZE2')
        ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	withPostcodes := func(consumer, trader string) *mapping.Case {
		c := fullCase(uniq())
		c.Consumer.Address.Postcode, c.Trader.Address.Postcode = consumer, trader
		return c
	}
	tests := []struct {
		name      string
		custodian string
		c         *mapping.Case
		want      string // the request's custodian code; "" for no authority
	}{
		{"current code", "2280", fullCase(uniq()), "2280"},
		{"merged code resolves to successor", "405", fullCase(uniq()), "440"},
		{"code not in the list kept", "9999", fullCase(uniq()), "9999"},
		{"auto by consumer district", CustodianAuto, withPostcodes("ME7 1ZZ", "TN23 9ZZ"), "2280"},
		{"auto by trader district", CustodianAuto, withPostcodes("TN23 9ZZ", "me2 4zz"), "2280"},
		{"auto area alone is not a district", CustodianAuto, withPostcodes("ME10 1AA", "TN1 1AA"), ""},
		{"auto without postcodes", CustodianAuto, withPostcodes("", ""), ""},
		{"auto shared district decides nothing", CustodianAuto, withPostcodes("ZE1 0AA", ""), ""},
		{"auto shared consumer district, trader decides", CustodianAuto,
			withPostcodes("ZE1 0AA", "ME4 4ZZ"), "2280"},
		{"auto merged code and successor are one", CustodianAuto, withPostcodes("ZE2 9AA", ""), "440"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := importAs(t, s, tt.custodian, tt.c)
			var na *NoAuthorityError
			if tt.want == "" {
				if !errors.As(err, &na) || na.CaseRef != tt.c.Reference {
					t.Fatalf("import: got %v, want NoAuthorityError for %s", err, tt.c.Reference)
				}
				if shared := strings.Contains(tt.name, "shared"); na.Shared != shared {
					t.Errorf("NoAuthorityError.Shared = %v, want %v: %v", na.Shared, shared, err)
				}
				if pc := tt.c.Consumer.Address.Postcode; pc != "" &&
					strings.Contains(err.Error(), pc) {
					t.Errorf("error quotes a postcode: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if got := requestRow(t, s, tt.c.Reference).CustodianCode; got == nil || *got != tt.want {
				t.Errorf("custodian_code: got %v, want %s", got, tt.want)
			}
		})
	}
	if n := count(t, s, `SELECT count(*) FROM report_unknown_codes
        WHERE kind = 'custodian' AND code = '9999'`); n != 1 {
		t.Errorf("custodian 9999 in report_unknown_codes: got %d rows, want 1", n)
	}
	if n := count(t, s, `SELECT count(*) FROM report_unknown_codes
        WHERE kind = 'custodian' AND code IN ('2280', '440')`); n != 0 {
		t.Errorf("known custodians in report_unknown_codes: got %d rows, want 0", n)
	}
}

func TestPossibleMatches(t *testing.T) {
	s := openStore(t)
	tests := []struct {
		name        string
		first, next func(key string) *mapping.Case
		wantRule    string // the possible match rule, "" for none
		wantMatch   string // the match rule of the second case
	}{{
		name:     "consumer same surname and postcode, other initial",
		first:    func(k string) *mapping.Case { return person(k, "Margaret", "Ex"+k, "ME1 1XX", "", "") },
		next:     func(k string) *mapping.Case { return person(k, "Peter", "ex "+k, "ME11XX", "", "") },
		wantRule: "surname_postcode", wantMatch: "new",
	}, {
		name:     "consumer same telephone",
		first:    func(k string) *mapping.Case { return person(k, "Ann", "A"+k, "ME1 1XX", "", "+44 7700 9"+k) },
		next:     func(k string) *mapping.Case { return person(k, "Bob", "B"+k, "ME4 4ZZ", "", "07700 9"+k) },
		wantRule: "telephone", wantMatch: "new",
	}, {
		name:     "consumer by email merges",
		first:    func(k string) *mapping.Case { return person(k, "Ann", "A"+k, "", k+"@x.example", "") },
		next:     func(k string) *mapping.Case { return person(k, "ann", "a "+k, "", k+"@X.example", "") },
		wantRule: "", wantMatch: "email",
	}, {
		name:     "consumer same email and surname, other forename",
		first:    func(k string) *mapping.Case { return person(k, "John", "A"+k, "", k+"@x.example", "") },
		next:     func(k string) *mapping.Case { return person(k, "Jane", "A"+k, "", k+"@x.example", "") },
		wantRule: "email", wantMatch: "new",
	}, {
		name:     "consumer same email, other surname",
		first:    func(k string) *mapping.Case { return person(k, "Ann", "A"+k, "", k+"@x.example", "") },
		next:     func(k string) *mapping.Case { return person(k, "Ann", "Other"+k, "", k+"@X.example", "") },
		wantRule: "email", wantMatch: "new",
	}, {
		name:     "consumer same name and postcode, other email",
		first:    func(k string) *mapping.Case { return person(k, "Ann", "A"+k, "ME1 1XX", k+"@x.example", "") },
		next:     func(k string) *mapping.Case { return person(k, "Ann", "A"+k, "ME1 1XX", k+"@y.example", "") },
		wantRule: "surname_postcode", wantMatch: "new",
	}, {
		name:     "consumer same name, no postcode",
		first:    func(k string) *mapping.Case { return person(k, "Ann", "A"+k, "ME1 1XX", "", "") },
		next:     func(k string) *mapping.Case { return person(k, "Anne", "A"+k, "", "", "") },
		wantRule: "name", wantMatch: "new",
	}, {
		name:     "consumer nothing in common",
		first:    func(k string) *mapping.Case { return person(k, "Ann", "A"+k, "ME1 1XX", "", "") },
		next:     func(k string) *mapping.Case { return person(k, "Ann", "B"+k, "ME1 1XX", "", "") },
		wantRule: "", wantMatch: "new",
	}, {
		name:     "trader same name at the same postcode merges",
		first:    func(k string) *mapping.Case { return business(k, "Smith & Sons "+k+" Ltd", "ME1 1XX", "") },
		next:     func(k string) *mapping.Case { return business(k, "Smith &  Sons "+k+" Ltd", "ME11XX", "") },
		wantRule: "", wantMatch: "name_postcode",
	}, {
		name:     "trader Ltd and Limited at the same postcode",
		first:    func(k string) *mapping.Case { return business(k, "Smith & Sons "+k+" Ltd", "ME1 1XX", "") },
		next:     func(k string) *mapping.Case { return business(k, "Smith & Sons "+k+" Limited", "ME1 1XX", "") },
		wantRule: "name", wantMatch: "new",
	}, {
		name:     "trader & and and, punctuation and case at the same postcode",
		first:    func(k string) *mapping.Case { return business(k, "Smith & Sons "+k+" Ltd", "ME1 1XX", "") },
		next:     func(k string) *mapping.Case { return business(k, "smith and sons, "+k+" ltd.", "ME1 1XX", "") },
		wantRule: "name", wantMatch: "new",
	}, {
		name:     "trader same name at another postcode",
		first:    func(k string) *mapping.Case { return business(k, "Smith & Sons "+k+" Ltd", "ME1 1XX", "") },
		next:     func(k string) *mapping.Case { return business(k, "Smith and Sons, "+k, "TN23 9ZZ", "") },
		wantRule: "name", wantMatch: "new",
	}, {
		name:     "trader same name, neither with a postcode",
		first:    func(k string) *mapping.Case { return business(k, "Smith & Sons "+k+" Ltd", "", "") },
		next:     func(k string) *mapping.Case { return business(k, "Smith and Sons "+k, "", "") },
		wantRule: "name", wantMatch: "new",
	}, {
		name:     "trader same telephone",
		first:    func(k string) *mapping.Case { return business(k, "Alpha "+k, "ME1 1XX", "01632 96"+k) },
		next:     func(k string) *mapping.Case { return business(k, "Beta "+k, "ME4 4ZZ", "+441632 96"+k) },
		wantRule: "telephone", wantMatch: "new",
	}, {
		name:     "trader different name and postcode",
		first:    func(k string) *mapping.Case { return business(k, "Alpha "+k, "ME1 1XX", "") },
		next:     func(k string) *mapping.Case { return business(k, "Beta "+k, "ME4 4ZZ", "") },
		wantRule: "", wantMatch: "new",
	}}
	// Each pair is imported as two files, then as one file of two cases.
	for _, tt := range tests {
		for _, oneFile := range []bool{false, true} {
			name := tt.name
			if oneFile {
				name += ", in one file"
			}
			t.Run(name, func(t *testing.T) {
				key := uniq()
				a, b := tt.first(key), tt.next(key)
				if oneFile {
					importNew(t, s, a, b)
				} else {
					importNew(t, s, a)
					importNew(t, s, b)
				}
				ra, rb := requestRow(t, s, a.Reference), requestRow(t, s, b.Reference)
				idA, idB, rule := ra.ConsumerContactID, rb.ConsumerContactID, rb.ConsumerMatchRule
				if a.Consumer == nil {
					idA, idB, rule = ra.TraderContactID, rb.TraderContactID, rb.TraderMatchRule
				}
				if rule == nil || *rule != tt.wantMatch {
					t.Errorf("match rule: got %v, want %s", rule, tt.wantMatch)
				}
				var got []string
				err := s.DB().Select(&got, `SELECT rule FROM possible_match
                WHERE contact_id = $1 AND candidate_contact_id = $2`, *idB, *idA)
				if err != nil {
					t.Fatal(err)
				}
				want := []string{}
				if tt.wantRule != "" {
					want = []string{tt.wantRule}
				}
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("possible matches: got %q, want %q", got, want)
				}
				// Recorded once, from the newer contact, and audited.
				if n := count(t, s, `SELECT count(*) FROM possible_match
                    WHERE contact_id = $1 AND candidate_contact_id = $2`, *idA, *idB); n != 0 {
					t.Errorf("possible match recorded the other way too")
				}
				if n := count(t, s, `SELECT count(*) FROM audit_event e
                    JOIN possible_match p ON e.entity = 'possible_match' AND e.entity_id = p.id
                    WHERE p.contact_id = $1 AND e.service_request_id = $2
                      AND e.detail->>'rule' = p.rule`, *idB, rb.ID); n != len(want) {
					t.Errorf("possible match audit events: got %d, want %d", n, len(want))
				}
			})
		}
	}
}

// person is a case with only a consumer.
func person(key, forename, surname, postcode, email, phone string) *mapping.Case {
	p := &mapping.Consumer{Forename: forename, Surname: surname, Email: email, Telephone: phone}
	if postcode != "" {
		p.Address = &mapping.Address{Lines: []string{key + " Road"}, Postcode: postcode,
			PostcodeValid: true}
	}
	return consumerCase(p)
}

// business is a case with only a trader.
func business(key, name, postcode, phone string) *mapping.Case {
	return traderCase(&mapping.Trader{Name: name, Telephone: phone,
		Address: &mapping.Address{Lines: []string{"Unit " + key}, Postcode: postcode,
			PostcodeValid: true}})
}

func TestDueDate(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time {
		return time.Date(y, m, d, 9, 0, 0, 0, time.UTC)
	}
	tests := []struct {
		name string
		from time.Time
		n    int
		want string
	}{
		{"next working day, Thursday", day(2026, 12, 3), 1, "2026-12-04"},
		{"next working day over a weekend", day(2026, 12, 4), 1, "2026-12-07"},
		{"over Christmas and the Boxing Day substitute", day(2026, 12, 23), 2, "2026-12-29"},
		{"five days over Christmas and New Year", day(2026, 12, 23), 5, "2027-01-04"},
		{"over Good Friday and Easter Monday", day(2027, 3, 25), 1, "2027-03-30"},
		{"late evening in summer time is the next day", time.Date(2026, 6, 1, 23, 30, 0, 0,
			time.UTC), 1, "2026-06-03"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dueDate(tt.from, tt.n).Format(time.DateOnly); got != tt.want {
				t.Errorf("dueDate(%v, %d): got %s, want %s", tt.from, tt.n, got, tt.want)
			}
		})
	}
}

func TestAssignmentAndActions(t *testing.T) {
	s := openStore(t)
	s.now = func() time.Time { return time.Date(2026, 12, 23, 10, 0, 0, 0, time.UTC) }
	ctx := context.Background()
	var officer int64
	if err := s.DB().GetContext(ctx, &officer,
		`INSERT INTO officer (name, team) VALUES ('Duty Officer', 'Fair trading') RETURNING id`,
	); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO assignment_rule
        (name, priority, route, postcode_prefix, officer_id) VALUES ('zz9 referrals', 1,
        'Referral', 'ZZ9', $1)`, officer); err != nil {
		t.Fatal(err)
	}

	inZZ9 := fullCase(uniq())
	inZZ9.Consumer.Address.Postcode = "ZZ9 9ZZ"
	notification := fullCase(uniq())
	notification.Route, notification.CaseType.Code = mapping.RouteNotification, "TC-CB"
	notification.Complaint.Breach, notification.Consumer.Vulnerable = "Civil", ptr(false)
	signposting := fullCase(uniq())
	signposting.Route, signposting.CaseType.Code = mapping.RouteSignposting, "ENQ"
	signposting.Trader, signposting.Complaint, signposting.Consumer.Vulnerable = nil, nil, nil

	tests := []struct {
		name    string
		c       *mapping.Case
		officer bool
		queue   string
		actions string // title@due, by title
	}{
		{"referral in a district with an officer", inZZ9, true, "officer",
			"Assess for investigation@2026-12-29,Consider safeguarding contact@2026-12-24," +
				"Review referral@2027-01-04"},
		{"criminal referral by the seeded rule", fullCase(uniq()), false, "investigations",
			"Assess for investigation@2026-12-29,Consider safeguarding contact@2026-12-24," +
				"Review referral@2027-01-04"},
		{"notification", notification, false, "intelligence", "Record as intelligence@"},
		{"no rule: unassigned", signposting, false, "unassigned", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			importNew(t, s, tt.c)
			var got struct {
				Officer *int64 `db:"assigned_officer_id"`
				Queue   string `db:"assigned_queue"`
				Actions string `db:"actions"`
				Owners  int    `db:"owners"` // actions whose officer is not the request's
			}
			err := s.DB().GetContext(ctx, &got, `
                SELECT r.assigned_officer_id, r.assigned_queue,
                    coalesce(string_agg(a.title || '@' || coalesce(a.due_date::text, ''), ','
                        ORDER BY a.title), '') AS actions,
                    count(a.id) FILTER (WHERE a.officer_id IS DISTINCT FROM r.assigned_officer_id)
                        AS owners
                FROM service_request r LEFT JOIN action a ON a.service_request_id = r.id
                WHERE r.case_reference = $1 GROUP BY r.id`, tt.c.Reference)
			if err != nil {
				t.Fatal(err)
			}
			if (got.Officer != nil) != tt.officer || got.Queue != tt.queue {
				t.Errorf("assignment: got officer %v queue %q, want officer %v queue %q",
					got.Officer, got.Queue, tt.officer, tt.queue)
			}
			if got.Owners != 0 {
				t.Errorf("%d actions not given to the request's officer", got.Owners)
			}
			if got.Actions != tt.actions {
				t.Errorf("actions:\ngot  %s\nwant %s", got.Actions, tt.actions)
			}
		})
	}

	t.Run("update adds no second open action", func(t *testing.T) {
		c := fullCase(uniq())
		importNew(t, s, c)
		up := *c
		up.UpdateSequence = 1
		importNew(t, s, &up)
		n := count(t, s, `SELECT count(*) FROM action a JOIN service_request r
            ON r.id = a.service_request_id WHERE r.case_reference = $1`, c.Reference)
		if n != 3 {
			t.Errorf("actions after update: got %d, want 3", n)
		}
	})

	t.Run("update reopens a closed request", func(t *testing.T) {
		c := fullCase(uniq())
		importNew(t, s, c)
		if _, err := s.SetStatus(ctx, c.Reference, StatusClosed, "user:officer1"); err != nil {
			t.Fatal(err)
		}
		up := *c
		up.UpdateSequence = 1
		importNew(t, s, &up)
		r := requestRow(t, s, c.Reference)
		if n := count(t, s, `SELECT count(*) FROM service_request WHERE id = $1
            AND status = 'open' AND closed_at IS NULL`, r.ID); n != 1 {
			t.Error("closed request not reopened by an update")
		}
		if n := count(t, s, `SELECT count(*) FROM audit_event WHERE service_request_id = $1
            AND action = 'reopen' AND actor = 'import:' || import_file_id`, r.ID); n != 1 {
			t.Errorf("reopen events by the import: got %d, want 1", n)
		}
	})

	t.Run("update brings back no action an officer has done", func(t *testing.T) {
		c := fullCase(uniq())
		importNew(t, s, c)
		if _, err := s.db.Exec(`UPDATE action SET status = 'done' FROM service_request r
            WHERE r.id = action.service_request_id AND r.case_reference = $1`, c.Reference); err != nil {
			t.Fatal(err)
		}
		up := *c
		up.UpdateSequence = 1
		importNew(t, s, &up)
		n := count(t, s, `SELECT count(*) FROM action a JOIN service_request r
            ON r.id = a.service_request_id WHERE r.case_reference = $1`, c.Reference)
		if n != 3 {
			t.Errorf("actions after update: got %d, want the 3 done ones alone", n)
		}
	})
}

func TestPossibleDuplicates(t *testing.T) {
	s := openStore(t)
	tests := []struct {
		name    string
		daysOff int
		flagged bool
	}{
		{"purchase ten days apart", 10, true},
		{"purchase thirty days apart", 30, true},
		{"purchase forty days apart", 40, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := fullCase(uniq())
			b := fullCase(uniq())
			b.Consumer, b.Trader = a.Consumer, a.Trader
			later := a.Purchase.Date.AddDate(0, 0, tt.daysOff)
			b.Purchase = &mapping.Purchase{Date: &later}
			importNew(t, s, a)
			importNew(t, s, b)
			ra, rb := requestRow(t, s, a.Reference), requestRow(t, s, b.Reference)
			n := count(t, s, `SELECT count(*) FROM possible_duplicate
                WHERE (service_request_id, other_request_id) IN (($1, $2), ($2, $1))`, ra.ID, rb.ID)
			want := 0
			if tt.flagged {
				want = 2
			}
			if n != want {
				t.Errorf("possible_duplicate rows: got %d, want %d (one on each request)", n, want)
			}
			if got := count(t, s, `SELECT count(*) FROM service_request WHERE id IN ($1, $2)`,
				ra.ID, rb.ID); got != 2 {
				t.Errorf("requests: got %d, want 2 (never merged)", got)
			}
		})
	}
}

func TestAuditTrail(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	key := uniq()
	c := fullCase(key)
	// Telephone numbers of their own, so that no possible match is found.
	c.Consumer.Telephone, c.Trader.Telephone = "01632 1"+key, "01632 2"+key
	importNew(t, s, c)
	up := *c
	up.UpdateSequence = 1
	importNew(t, s, &up)
	importNew(t, s, &up)
	if _, err := s.SetStatus(ctx, c.Reference, StatusClosed, "user:alice"); err != nil {
		t.Fatal(err)
	}
	id := requestRow(t, s, c.Reference).ID

	var got []string
	if err := s.DB().SelectContext(ctx, &got, `
        SELECT action || ':' || entity || ':' || split_part(actor, ':', 1)
        FROM audit_event WHERE service_request_id = $1 ORDER BY id`, id); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"match:contact:import", "match:contact:import", "assign:service_request:import",
		"create:service_request:import", "action:action:import", "action:action:import",
		"action:action:import",
		"match:contact:import", "match:contact:import", "update:service_request:import",
		"unchanged:service_request:import",
		"close:service_request:user",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("audit events:\ngot  %q\nwant %q", got, want)
	}

	for _, stmt := range []string{
		`UPDATE audit_event SET actor = 'someone else'`,
		`DELETE FROM audit_event`,
		`TRUNCATE audit_event`,
	} {
		if _, err := s.DB().ExecContext(ctx, stmt); err == nil ||
			!strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: got %v, want refused as append-only", stmt, err)
		}
	}

	// A plain UPDATE from a council's case system is audited too.
	if _, err := s.DB().ExecContext(ctx,
		`UPDATE service_request SET status = 'open' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM audit_event
        WHERE service_request_id = $1 AND action = 'reopen' AND actor LIKE 'db:%'`, id); n != 1 {
		t.Errorf("reopen events by UPDATE: got %d, want 1", n)
	}
}

func TestEvidenceFiles(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	c := fullCase(uniq())
	// Over two chunks, so that the bytes come back in order.
	first := bytes.Repeat([]byte("<first/>"), chunkSize/4)
	importCases(t, s, first, infoOf("first.xml", first), c)
	up := *c
	up.UpdateSequence = 1
	second := []byte("<second " + uniq() + "/>")
	importCases(t, s, second, infoOf("second.xml", second), &up)

	files, err := s.EvidenceFiles(ctx, c.Reference)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Name != "first.xml" || !files[1].Last || files[0].Last {
		t.Fatalf("EvidenceFiles: got %+v, want first.xml then second.xml (last)", files)
	}
	for i, want := range [][]byte{first, second} {
		var buf bytes.Buffer
		if err := s.CopyEvidence(ctx, files[i], &buf); err != nil {
			t.Fatal(err)
		}
		if sha256.Sum256(buf.Bytes()) != sha256.Sum256(want) {
			t.Errorf("CopyEvidence(%s): %d bytes, not the %d imported", files[i].Name,
				buf.Len(), len(want))
		}
	}
	if _, err := s.EvidenceFiles(ctx, "CACSNOSUCHCASE"); !errors.Is(err, ErrNotFound) {
		t.Errorf("EvidenceFiles of unknown case: got %v, want ErrNotFound", err)
	}
}

// An officer's decision on a possible match or duplicate, and a moved
// closing date, are audited by the database, whatever tool makes them.
func TestDecisionsAudited(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	k := uniq()
	a := person(k, "Ann", "A"+k, "ME1 1XX", "", "")
	b := person(k, "Peter", "A"+k, "ME1 1XX", "", "")
	importNew(t, s, a)
	importNew(t, s, b)
	rb := requestRow(t, s, b.Reference)

	conn, err := s.DB().Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT set_config('cacsd.actor', 'user:officer1', false)`); err != nil {
		t.Fatal(err)
	}
	var pm struct {
		ID        int64      `db:"id"`
		DecidedBy *string    `db:"decided_by"`
		DecidedAt *time.Time `db:"decided_at"`
	}
	if err := conn.GetContext(ctx, &pm, `UPDATE possible_match SET status = 'rejected'
        WHERE contact_id = $1 RETURNING id, decided_by, decided_at`, *rb.ConsumerContactID); err != nil {
		t.Fatal(err)
	}
	if pm.DecidedBy == nil || *pm.DecidedBy != "user:officer1" || pm.DecidedAt == nil {
		t.Errorf("decision stamped as %v at %v, want user:officer1 now", pm.DecidedBy, pm.DecidedAt)
	}
	if n := count(t, s, `SELECT count(*) FROM audit_event WHERE action = 'match_decision'
        AND entity_id = $1 AND actor = 'user:officer1' AND detail->>'to' = 'rejected'`, pm.ID); n != 1 {
		t.Errorf("match decision events: got %d, want 1", n)
	}
	// A second decision, by someone else, is stamped as theirs, whatever
	// the UPDATE says.
	if _, err := s.DB().ExecContext(ctx, `UPDATE possible_match SET status = 'confirmed',
        decided_by = 'user:carol', decided_at = '2001-01-01' WHERE id = $1`, pm.ID); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM possible_match WHERE id = $1
        AND decided_by LIKE 'db:%' AND decided_at > $2`, pm.ID, *pm.DecidedAt); n != 1 {
		t.Errorf("second decision not stamped as its maker's")
	}
	// The stamp cannot be changed but by a decision.
	for _, stmt := range []string{
		`UPDATE possible_match SET decided_by = 'user:mallory' WHERE id = $1`,
		`UPDATE possible_match SET decided_at = now() - interval '1 year' WHERE id = $1`,
	} {
		if _, err := s.DB().ExecContext(ctx, stmt, pm.ID); err == nil {
			t.Errorf("%s: allowed, want refused", stmt)
		}
	}

	// Two cases of one consumer and trader a day apart: a possible duplicate.
	c := fullCase(uniq())
	d := fullCase(uniq())
	d.Consumer, d.Trader = c.Consumer, c.Trader
	importNew(t, s, c)
	importNew(t, s, d)
	rd := requestRow(t, s, d.Reference)
	if _, err := s.DB().ExecContext(ctx, `UPDATE possible_duplicate SET status = 'confirmed'
        WHERE service_request_id = $1`, rd.ID); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM possible_duplicate
        WHERE $1 IN (service_request_id, other_request_id) AND status = 'confirmed'
          AND decided_by LIKE 'db:%' AND decided_at IS NOT NULL`, rd.ID); n != 2 {
		t.Errorf("stamped duplicate decisions, both rows of the pair: got %d, want 2", n)
	}
	if n := count(t, s, `SELECT count(*) FROM audit_event WHERE action = 'duplicate_decision'
        AND service_request_id = $1 AND actor LIKE 'db:%'`, rd.ID); n != 1 {
		t.Errorf("duplicate decision events: got %d, want 1", n)
	}
	// Both rows of the pair in one UPDATE, as a tool choosing by request would.
	if _, err := s.DB().ExecContext(ctx, `UPDATE possible_duplicate SET status = 'rejected'
        WHERE $1 IN (service_request_id, other_request_id)`, rd.ID); err != nil {
		t.Fatalf("deciding both rows at once: %v", err)
	}
	if n := count(t, s, `SELECT count(*) FROM possible_duplicate
        WHERE $1 IN (service_request_id, other_request_id) AND status = 'rejected'`, rd.ID); n != 2 {
		t.Errorf("rows rejected: got %d, want 2", n)
	}

	// An open request has no closing date, and closing stamps the time.
	if _, err := s.DB().ExecContext(ctx, `UPDATE service_request
        SET closed_at = '2000-01-01' WHERE id = $1`, rd.ID); err == nil {
		t.Error("closed_at set on an open request")
	}
	if _, err := s.DB().ExecContext(ctx, `UPDATE service_request SET status = 'closed'
        WHERE id = $1`, rd.ID); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM service_request WHERE id = $1
        AND closed_at > now() - interval '1 minute'`, rd.ID); n != 1 {
		t.Error("closing did not stamp the time")
	}
	if _, err := s.DB().ExecContext(ctx, `UPDATE service_request
        SET closed_at = NULL WHERE id = $1`, rd.ID); err == nil {
		t.Error("closed_at removed from a closed request")
	}
	// Back-dating a closed request would bring its retention forward.
	if _, err := s.DB().ExecContext(ctx, `UPDATE service_request
        SET closed_at = closed_at - interval '7 years' WHERE id = $1`, rd.ID); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM audit_event WHERE action = 'closed_at'
        AND service_request_id = $1`, rd.ID); n != 1 {
		t.Errorf("closed_at events: got %d, want 1", n)
	}
}

// A trader's total detriment adds up pounds only.
func TestTopTradersByCurrency(t *testing.T) {
	s := openStore(t)
	k := uniq()
	gbp, eur := business(k, "Currency Test "+k, "ME1 1XX", ""), business(k, "Currency Test "+k, "ME1 1XX", "")
	gbp.Complaint.Detriment = &mapping.Money{Amount: decimal.RequireFromString("100.50"), Currency: "GBP"}
	eur.Complaint.Detriment = &mapping.Money{Amount: decimal.RequireFromString("40"), Currency: "EUR"}
	// The view counts the last 12 months.
	gbp.ReceivedAt = time.Now().Add(-time.Hour)
	eur.ReceivedAt = gbp.ReceivedAt
	importNew(t, s, gbp, eur)
	var got struct {
		Complaints int    `db:"complaints"`
		Total      string `db:"total_detriment"`
		Other      int    `db:"other_currency_detriments"`
	}
	if err := s.DB().Get(&got, `SELECT complaints, total_detriment::text, other_currency_detriments
        FROM report_top_traders WHERE trader_contact_id = $1`,
		*requestRow(t, s, gbp.Reference).TraderContactID); err != nil {
		t.Fatal(err)
	}
	if got.Complaints != 2 || got.Total != "100.50" || got.Other != 1 {
		t.Errorf("report_top_traders: got %+v, want 2 complaints, 100.50 and 1 in another currency", got)
	}
}
