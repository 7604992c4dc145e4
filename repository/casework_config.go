package repository

import (
	"encoding/json"
	"fmt"
)

// The tables a council edits to steer casework, read at the start of each
// import, in the statement that inserts the file's row (see
// insertImportFileSQL): the code lists, merged custodian codes, authority
// districts, assignment rules and action templates, as columns of JSON.
const caseworkColumnsSQL = `
    (SELECT coalesce(json_agg(json_build_object(
                'kind', kind, 'code', cacs_code, 'label', label)), '[]')
     FROM code_map) AS codes,
    (SELECT coalesce(json_agg(json_build_object(
                'code', custodian_code, 'successor', successor_code)), '[]')
     FROM custodian WHERE status = 'merged' AND successor_code IS NOT NULL) AS merged,
    (SELECT coalesce(json_agg(json_build_object(
                'code', custodian_code, 'district', district)
                ORDER BY custodian_code, district), '[]')
     FROM authority_district) AS districts,
    (SELECT coalesce(json_agg(row_to_json(r) ORDER BY r.priority, r.id), '[]')
     FROM (SELECT r.id, r.priority, r.route, r.case_type_code, r.postcode_prefix,
                  r.custodian_code, r.officer_id, r.queue
           FROM assignment_rule r LEFT JOIN officer o ON o.id = r.officer_id
           -- A rule naming an officer who has left is skipped, so that the
           -- next rule (often a team queue) takes the request.
           WHERE r.active AND (r.officer_id IS NULL OR o.active)) r) AS rules,
    (SELECT coalesce(json_agg(row_to_json(t) ORDER BY t.position, t.id), '[]')
     FROM (SELECT id, position, title, route, case_type_code, breach, vulnerable,
                  due_working_days
           FROM action_template WHERE active) t) AS templates`

// casework is the casework tables as caseworkColumnsSQL reads them.
type casework struct {
	Codes     []byte `db:"codes"`
	Merged    []byte `db:"merged"`
	Districts []byte `db:"districts"`
	Rules     []byte `db:"rules"`
	Templates []byte `db:"templates"`
}

// setCasework puts the casework tables read into im.
func (im *Import) setCasework(raw *casework) error {
	var codes []struct{ Kind, Code, Label string }
	var merged []struct{ Code, Successor string }
	var districts []struct{ Code, District string }
	for _, p := range []struct {
		data []byte
		dst  any
	}{
		{raw.Codes, &codes}, {raw.Merged, &merged}, {raw.Districts, &districts},
		{raw.Rules, &im.rules}, {raw.Templates, &im.templates},
	} {
		if err := json.Unmarshal(p.data, p.dst); err != nil {
			return fmt.Errorf("load casework tables: %w", err)
		}
	}

	im.codes = make(codeBook, len(codes))
	for _, c := range codes {
		im.codes[codeKey{c.Kind, c.Code}] = c.Label
	}
	im.authorities = authorityBook{
		successor: make(map[string]string, len(merged)),
		districts: make(map[string][]string, len(districts)),
	}
	for _, m := range merged {
		im.authorities.successor[m.Code] = m.Successor
	}
	for _, d := range districts {
		im.authorities.districts[d.District] = append(im.authorities.districts[d.District], d.Code)
	}
	return nil
}
