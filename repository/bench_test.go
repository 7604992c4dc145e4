package repository

import (
	"fmt"
	"testing"

	"cacsd/mapping"
)

// BenchmarkImport imports one file of n generated cases per iteration; a
// fifth of the consumers and traders are repeats that match.
func BenchmarkImport(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := openStore(b)
			for b.Loop() {
				cases := make([]*mapping.Case, n)
				for i := range cases {
					cases[i] = fullCase(uniq())
					if i%5 == 4 {
						cases[i].Consumer = cases[i-1].Consumer
						cases[i].Trader = cases[i-1].Trader
					}
				}
				data, f := content("bench.xml")
				importCases(b, s, data, f, cases...)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/case")
		})
	}
}
