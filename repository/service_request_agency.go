package repository

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"cacsd/mapping"
)

const insertAgenciesSQL = `
INSERT INTO service_request_agency (service_request_id, position, role, name)
SELECT $1, u.position, NULLIF(u.role, ''), u.name
FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS u (role, name, position)`

// insertAgencies stores a request's agencies, in order, in one statement.
func (im *Import) insertAgencies(ctx context.Context, id int64, agencies []mapping.Agency) error {
	if len(agencies) == 0 {
		return nil
	}
	role := make([]string, len(agencies))
	name := make([]string, len(agencies))
	for i, a := range agencies {
		role[i], name[i] = a.Role, a.Name
	}
	_, err := im.tx.ExecContext(ctx, insertAgenciesSQL, id,
		pq.StringArray(role), pq.StringArray(name))
	if err != nil {
		return fmt.Errorf("insert agencies: %w", err)
	}
	return nil
}
