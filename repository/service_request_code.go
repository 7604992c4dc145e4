package repository

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"cacsd/mapping"
)

// A code sent twice in one case is stored once.
const insertCodesSQL = `
INSERT INTO service_request_code (service_request_id, kind, code, label, known)
SELECT $1, 'complaint', u.code, NULLIF(u.label, ''), u.known
FROM unnest($2::text[], $3::text[], $4::boolean[]) AS u (code, label, known)
ON CONFLICT DO NOTHING`

// insertCodes stores a request's complaint codes in one statement.
func (im *Import) insertCodes(ctx context.Context, id int64, codes []mapping.Code) error {
	if len(codes) == 0 {
		return nil
	}
	var code, label []string
	var known []bool
	for i := range codes {
		sc := im.codes.lookup(kindComplaint, &codes[i])
		if sc.Code == nil {
			continue
		}
		code = append(code, *sc.Code)
		label = append(label, deref(sc.Label))
		known = append(known, *sc.Known)
	}
	_, err := im.tx.ExecContext(ctx, insertCodesSQL, id,
		pq.StringArray(code), pq.StringArray(label), pq.BoolArray(known))
	if err != nil {
		return fmt.Errorf("insert complaint codes: %w", err)
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
