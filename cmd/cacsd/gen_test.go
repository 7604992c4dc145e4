package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// genCase is one invented case; ref must be unique per export.
const genCase = `<Case>
<CaseReference>%s</CaseReference>
<UpdateSequence>%d</UpdateSequence>
<Route>Referral</Route>
<CaseType code="TC-CR">Trader complaint - possible criminal breach</CaseType>
<ReceivedAt>2026-11-29T14:02:00Z</ReceivedAt>
<Consumer><Forename>Genforename%d</Forename><Surname>Gensurname%d</Surname>
<Address><Line>%d Generated Street</Line><Postcode>ME1 1AA</Postcode></Address>
<Email>gen%d@example.invalid</Email></Consumer>
<Trader><Name>Generated Trader %d Ltd</Name><CompanyNumber>%08d</CompanyNumber></Trader>
<Purchase><Date>2026-11-20</Date><Amount>%d.50</Amount><Product code="B02">Roofing</Product></Purchase>
<Complaint><Code code="AGP">Aggressive practices</Code>
<Summary>Generated summary text %d.</Summary></Complaint>
</Case>
`

// genExport returns an export of n cases with references PREFIX000001...
func genExport(prefix string, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<CaseExport version="1.0" exportId="GEN-%s" generated="2026-11-30T07:00:00Z" xmlns="urn:cacs:case-export:1">
<Recipient custodianCode="2280">Medway Council</Recipient>
`, prefix)
	for i := 1; i <= n; i++ {
		ref := fmt.Sprintf("%s%06d", prefix, i)
		fmt.Fprintf(&b, genCase, ref, 0, i, i, i, i, i%500, i%500+1, i, i)
	}
	b.WriteString("</CaseExport>\n")
	return b.Bytes()
}

// genFiles writes count one-case exports into dir, each with its own case
// reference, their mtimes one second apart from oldest to newest. It
// returns the file names in mtime order.
func genFiles(t testing.TB, dir, prefix string, count int) []string {
	t.Helper()
	base := time.Now().Add(-time.Duration(count) * time.Second)
	names := make([]string, count)
	for i := range count {
		// Names run against mtime order, so oldest-first is not name order.
		name := fmt.Sprintf("gen-%06d.xml", count-i)
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, genExport(fmt.Sprintf("%s%05d", prefix, i), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		mt := base.Add(time.Duration(i) * time.Second)
		if err := os.Chtimes(path, mt, mt); err != nil {
			t.Fatal(err)
		}
		names[i] = name
	}
	return names
}
