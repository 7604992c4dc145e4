package mapping

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
)

// benchCase is a full case, every part present; %s is its reference.
const benchCase = `<Case>
<CaseReference>%s</CaseReference>
<UpdateSequence>0</UpdateSequence>
<Route>Referral</Route>
<CaseType code="TC-CR">Trader complaint - possible criminal breach</CaseType>
<RecipientRole>ConsumerArea</RecipientRole>
<ReceivedAt>29/11/2026 14:02</ReceivedAt>
<Channel>Telephone</Channel>
<Consumer>
<Title>Mrs</Title><Forename>Margaret</Forename><Surname>Example</Surname>
<Address><Line>14 Orchard Row</Line><Town>Rochester</Town><County>Kent</County>
<Postcode>me1 1xx</Postcode></Address>
<Telephone>01632 960001</Telephone><Email>m.example@example.org</Email>
<AgeBand>75+</AgeBand><Vulnerable reason="AGE">true</Vulnerable>
<ContactConsent>true</ContactConsent></Consumer>
<Trader>
<Name>Roofline Fixers Ltd</Name><TradingAs>Kent Roof Care</TradingAs>
<CompanyNumber>09999991</CompanyNumber>
<Address><Line>Unit 3</Line><Line>Quarry Lane Industrial Estate</Line><Town>Ashford</Town>
<Postcode>TN23 9ZZ</Postcode><UPRN>100062000001</UPRN></Address>
<Telephone>07700 900123</Telephone><Website>www.roof-care.example</Website></Trader>
<Purchase>
<Date>2026-11-20</Date><Amount currency="GBP">£4,800.00</Amount>
<Product code="B02">Roofing and guttering</Product>
<Method code="DSU">Doorstep - uninvited (cold call)</Method>
<Payment code="CSH">Cash</Payment>
<Description>Replacement of ridge tiles; trader asked for cash up front.</Description></Purchase>
<Complaint>
<Code code="AGP">Aggressive practices or pressure selling</Code>
<Code code="CAN">Cancellation rights refused</Code>
<Scam code="ROG">Rogue trading (doorstep)</Scam>
<Breach>Criminal</Breach><Detriment currency="GBP">4800.00</Detriment>
<Summary>Trader called uninvited, said the roof was unsafe and took cash.</Summary>
<AdviceGiven>Advised consumer of 14-day cancellation right for doorstep contracts.</AdviceGiven>
</Complaint>
<Agencies><Agency role="ReferredTo">Medway Trading Standards</Agency></Agencies>
<Notes><Note at="2026-11-29T14:20:00Z">Consumer lives alone.</Note></Notes>
</Case>
`

// benchExport builds an export of n full cases with distinct references.
func benchExport(n int) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<CaseExport version="1.0" exportId="EXP-BENCH" generated="2026-11-30T07:00:12Z" ` +
		`xmlns="urn:cacs:case-export:1">` + "\n")
	for i := range n {
		fmt.Fprintf(&b, benchCase, fmt.Sprintf("CACS%010d", i))
	}
	b.WriteString("</CaseExport>\n")
	return []byte(b.String())
}

// benchData is the export the benchmarks read: the file named by
// CACSD_BENCH_EXPORT (deploy/bench/run.sh passes a generated one), else
// 10,000 copies of benchCase.
func benchData(b *testing.B) []byte {
	b.Helper()
	name := os.Getenv("CACSD_BENCH_EXPORT")
	if name == "" {
		return benchExport(10000)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		b.Fatalf("read CACSD_BENCH_EXPORT: %v", err)
	}
	return data
}

func BenchmarkDecode(b *testing.B) {
	data := benchData(b)
	_, want, err := Decode(bytes.NewReader(data), nil)
	if err != nil || want == 0 {
		b.Fatalf("Decode: got %d cases, %v; want a good export", want, err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		_, n, err := Decode(bytes.NewReader(data), nil)
		if err != nil || n != want {
			b.Fatalf("Decode: got %d cases, %v; want %d", n, err, want)
		}
	}
	b.ReportMetric(float64(want)*float64(b.N)/b.Elapsed().Seconds(), "cases/s")
}

// BenchmarkTokenScan is the floor: encoding/xml walking the same bytes and
// doing nothing with the tokens. It reads UTF-8 only, so a generated
// export for it must be written in UTF-8.
func BenchmarkTokenScan(b *testing.B) {
	data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d := xml.NewDecoder(bytes.NewReader(data))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func TestBenchExportIsGood(t *testing.T) {
	_, cases, n, problems, _ := decodeAll(t, benchExport(3))
	if problems != nil || n != 3 || len(cases) != 3 {
		t.Fatalf("decode: got %d of %d cases, problems%s; want 3 good", len(cases), n,
			problemList(problems))
	}
}

// caseStream generates an export of n full cases as it is read, so that
// a test can feed a large file without holding it.
type caseStream struct {
	n, next int
	buf     []byte
}

func (s *caseStream) Read(p []byte) (int, error) {
	for len(s.buf) == 0 {
		switch {
		case s.next == 0:
			head, _, _ := strings.Cut(string(benchExport(0)), "</CaseExport>")
			s.buf = []byte(head)
		case s.next <= s.n:
			s.buf = fmt.Appendf(nil, benchCase, fmt.Sprintf("CACS%010d", s.next))
		case s.next == s.n+1:
			s.buf = []byte("</CaseExport>\n")
		default:
			return 0, io.EOF
		}
		s.next++
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// TestMemoryFlat streams 6,000 cases and checks that the live heap does
// not grow with them beyond the reference-to-digest map.
func TestMemoryFlat(t *testing.T) {
	const cases = 6000
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var early, late uint64
	_, n, err := Decode(&caseStream{n: cases}, func(c *Case) error {
		switch c.Reference {
		case "CACS0000001000":
			early = heap()
		case fmt.Sprintf("CACS%010d", cases):
			late = heap()
		}
		return nil
	})
	if err != nil || n != cases {
		t.Fatalf("Decode: got %d cases, %v; want %d, nil", n, err, cases)
	}
	// The digest map costs well under 200 bytes a case.
	if late > early+cases*200 {
		t.Errorf("live heap grew from %d to %d bytes over %d cases", early, late, cases-1000)
	}
}
