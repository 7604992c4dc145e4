package repository

import (
	"context"
	"strings"
	"testing"

	"cacsd/mapping"
)

// consumerCase is a case with only a consumer.
func consumerCase(p *mapping.Consumer) *mapping.Case {
	c := fullCase(uniq())
	c.Consumer, c.Trader = p, nil
	return c
}

// traderCase is a case with only a trader.
func traderCase(tr *mapping.Trader) *mapping.Case {
	c := fullCase(uniq())
	c.Consumer, c.Trader = nil, tr
	return c
}

func addr(postcode string) *mapping.Address {
	return &mapping.Address{Lines: []string{"1 High Street"}, Postcode: postcode,
		PostcodeValid: true}
}

func TestConsumerMatching(t *testing.T) {
	s := openStore(t)

	tests := []struct {
		name     string
		incoming func(key string) *mapping.Consumer
		rule     string
		same     bool
	}{{
		name: "email in other case and spacing",
		incoming: func(key string) *mapping.Consumer {
			return &mapping.Consumer{Forename: " MARGARET", Surname: "smith " + key,
				Email: " M." + key + "@EXAMPLE.ORG "}
		},
		rule: "email", same: true,
	}, {
		name: "email without a surname",
		incoming: func(key string) *mapping.Consumer {
			return &mapping.Consumer{Email: "m." + key + "@example.org"}
		},
		rule: "email", same: true,
	}, {
		name: "email under another forename",
		incoming: func(key string) *mapping.Consumer {
			return &mapping.Consumer{Forename: "Martin", Surname: "Smith-" + key,
				Email: "m." + key + "@example.org"}
		},
		rule: "new",
	}, {
		name: "email under another surname",
		incoming: func(key string) *mapping.Consumer {
			return &mapping.Consumer{Forename: "Peggy", Surname: "Other",
				Email: "m." + key + "@example.org"}
		},
		rule: "new",
	}, {
		name: "surname initial postcode",
		incoming: func(key string) *mapping.Consumer {
			return &mapping.Consumer{Forename: "MARGARET", Surname: " Smith-" + key + " ",
				Address: addr("ab1 2cd")}
		},
		rule: "name_postcode", same: true,
	}, {
		name: "surname initial postcode, forename an initial",
		incoming: func(key string) *mapping.Consumer {
			return &mapping.Consumer{Forename: "M", Surname: "smith-" + key,
				Address: addr("AB1 2CD")}
		},
		rule: "name_postcode", same: true,
	}, {
		name: "surname initial postcode, another forename",
		incoming: func(key string) *mapping.Consumer {
			return &mapping.Consumer{Forename: "maggie", Surname: " Smith-" + key + " ",
				Address: addr("ab1 2cd")}
		},
		rule: "new",
	}, {
		name: "surname initial postcode but another email",
		incoming: func(key string) *mapping.Consumer {
			return &mapping.Consumer{Forename: "Margaret", Surname: "SMITH " + key,
				Email: "new." + key + "@example.org", Address: addr("AB1 2CD")}
		},
		rule: "new",
	}, {
		name: "initial alone, surname postcode",
		incoming: func(key string) *mapping.Consumer {
			return &mapping.Consumer{Forename: "M.", Surname: "Smith-" + key,
				Email: "m." + key + "@example.org", Address: addr("AB1 2CD")}
		},
		rule: "email", same: true,
	}, {
		name: "same initial, other forename, same email and postcode",
		incoming: func(key string) *mapping.Consumer {
			return &mapping.Consumer{Forename: "Martin", Surname: "Smith-" + key,
				Email: "m." + key + "@example.org", Address: addr("AB1 2CD")}
		},
		rule: "new",
	}, {
		name: "different initial",
		incoming: func(key string) *mapping.Consumer {
			return &mapping.Consumer{Forename: "Robert", Surname: "Smith-" + key,
				Address: addr("AB1 2CD")}
		},
		rule: "new",
	}, {
		name: "different postcode",
		incoming: func(key string) *mapping.Consumer {
			return &mapping.Consumer{Forename: "Margaret", Surname: "Smith-" + key,
				Address: addr("AB1 2CE")}
		},
		rule: "new",
	}, {
		name: "no postcode",
		incoming: func(key string) *mapping.Consumer {
			return &mapping.Consumer{Forename: "Margaret", Surname: "Smith-" + key}
		},
		rule: "new",
	}, {
		name: "no forename",
		incoming: func(key string) *mapping.Consumer {
			return &mapping.Consumer{Surname: "Smith-" + key, Address: addr("AB1 2CD")}
		},
		rule: "new",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := uniq()
			first := consumerCase(&mapping.Consumer{
				Forename: "Margaret", Surname: "Smith-" + key,
				Email: "m." + key + "@example.org", Address: addr("AB1 2CD"),
			})
			importNew(t, s, first)
			c := consumerCase(tt.incoming(key))
			importNew(t, s, c)

			r0, r1 := requestRow(t, s, first.Reference), requestRow(t, s, c.Reference)
			if got := deref(r1.ConsumerMatchRule); got != tt.rule {
				t.Errorf("consumer_match_rule = %q, want %q", got, tt.rule)
			}
			if same := *r1.ConsumerContactID == *r0.ConsumerContactID; same != tt.same {
				t.Errorf("same contact = %v, want %v", same, tt.same)
			}
		})
	}
}

func TestTraderMatching(t *testing.T) {
	s := openStore(t)

	tests := []struct {
		name     string
		incoming func(key string) *mapping.Trader
		rule     string
		same     bool
	}{{
		name: "company number",
		incoming: func(key string) *mapping.Trader {
			return &mapping.Trader{Name: "Anything", CompanyNumber: " " + key + "9 "}
		},
		rule: "company_number", same: true,
	}, {
		name: "company number without leading zero",
		incoming: func(key string) *mapping.Trader {
			return &mapping.Trader{Name: "Anything", CompanyNumber: "0" + key + "9"}
		},
		rule: "company_number", same: true,
	}, {
		name: "name and postcode",
		incoming: func(key string) *mapping.Trader {
			return &mapping.Trader{Name: "Smith and  Sons " + key + " Ltd",
				Address: addr("ct11aa")}
		},
		rule: "name_postcode", same: true,
	}, {
		name: "name and postcode, number not shaped like one",
		incoming: func(key string) *mapping.Trader {
			return &mapping.Trader{Name: "Smith and Sons " + key + " Ltd",
				CompanyNumber: "N/A", Address: addr("CT1 1AA")}
		},
		rule: "name_postcode", same: true,
	}, {
		name: "name written differently at the same postcode",
		incoming: func(key string) *mapping.Trader {
			return &mapping.Trader{Name: "Smith & Sons (" + key + ") Limited",
				Address: addr("CT1 1AA")}
		},
		rule: "new",
	}, {
		name: "website",
		incoming: func(key string) *mapping.Trader {
			return &mapping.Trader{Name: "Other name",
				Website: "https://WWW.smith-" + key + ".example/contact?x=1"}
		},
		rule: "website", same: true,
	}, {
		name: "another page of a shared site",
		incoming: func(key string) *mapping.Trader {
			return &mapping.Trader{Name: "Other name",
				Website: "https://www.facebook.com/other" + key}
		},
		rule: "new",
	}, {
		name: "own page of a shared site",
		incoming: func(key string) *mapping.Trader {
			return &mapping.Trader{Name: "Other name",
				Website: "m.facebook.com/Smith" + key + "/"}
		},
		rule: "website", same: true,
	}, {
		name: "name at another postcode",
		incoming: func(key string) *mapping.Trader {
			return &mapping.Trader{Name: "Smith and Sons " + key + " Ltd",
				Address: addr("CT1 1AB")}
		},
		rule: "new",
	}, {
		name: "same name other company number",
		incoming: func(key string) *mapping.Trader {
			return &mapping.Trader{Name: "Smith and Sons " + key + " Ltd",
				CompanyNumber: "SC" + key, Address: addr("CT1 1AA"),
				Website: "smith-" + key + ".example"}
		},
		rule: "new",
	}, {
		name: "nothing in common",
		incoming: func(key string) *mapping.Trader {
			return &mapping.Trader{Name: "Jones " + key, Address: addr("CT1 1AA")}
		},
		rule: "new",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := uniq()
			first := traderCase(&mapping.Trader{
				Name: "Smith and Sons " + key + " Ltd", CompanyNumber: key + "9",
				Address: addr("CT1 1AA"), Website: "www.smith-" + key + ".example",
			})
			if strings.Contains(tt.name, "shared site") {
				first.Trader.CompanyNumber, first.Trader.Address = "", nil
				first.Trader.Website = "https://facebook.com/smith" + key
			}
			importNew(t, s, first)
			c := traderCase(tt.incoming(key))
			importNew(t, s, c)

			r0, r1 := requestRow(t, s, first.Reference), requestRow(t, s, c.Reference)
			if got := deref(r1.TraderMatchRule); got != tt.rule {
				t.Errorf("trader_match_rule = %q, want %q", got, tt.rule)
			}
			if same := *r1.TraderContactID == *r0.TraderContactID; same != tt.same {
				t.Errorf("same contact = %v, want %v", same, tt.same)
			}
		})
	}
}

// A number kept as written is never matched on: "N/A" is not a company.
func TestInvalidCompanyNumberNeverMatches(t *testing.T) {
	s := openStore(t)
	key := uniq()
	a := traderCase(&mapping.Trader{Name: "Alpha " + key, CompanyNumber: "N/A"})
	b := traderCase(&mapping.Trader{Name: "Beta " + key, CompanyNumber: "n/a"})
	importNew(t, s, a)
	importNew(t, s, b)
	r0, r1 := requestRow(t, s, a.Reference), requestRow(t, s, b.Reference)
	if *r0.TraderContactID == *r1.TraderContactID {
		t.Errorf("two traders merged on company number %q", "N/A")
	}
	if n := count(t, s, `SELECT count(*) FROM contact WHERE id = $1
        AND company_number = 'N/A' AND company_number_valid = false`, *r0.TraderContactID); n != 1 {
		t.Errorf("number not kept as written and flagged")
	}
}

func TestMatchFillsInNeverBlanks(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	key := uniq()
	first := traderCase(&mapping.Trader{Name: "First Name Ltd", CompanyNumber: "FN" + key})
	importNew(t, s, first)
	c := traderCase(&mapping.Trader{
		Name: "Second Name Ltd", CompanyNumber: "fn" + key, Telephone: "01632 960999",
		Website: "https://fill-" + key + ".example", Address: addr("CT2 2BB"),
	})
	importNew(t, s, c)

	r := requestRow(t, s, c.Reference)
	var got struct {
		Name    string  `db:"name"`
		Tel     *string `db:"telephone"`
		Host    *string `db:"website_host"`
		Postkey *string `db:"postcode_norm"`
		NameKey *string `db:"name_norm"`
	}
	err := s.DB().GetContext(ctx, &got, `SELECT name, telephone, website_host,
        postcode_norm, name_norm FROM contact WHERE id = $1`, *r.TraderContactID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "First Name Ltd" || deref(got.Tel) != "01632 960999" ||
		deref(got.Host) != "fill-"+key+".example" || deref(got.Postkey) != "CT22BB" ||
		deref(got.NameKey) != "first name" {
		t.Errorf("trader after fill-in = %+v (%s %s %s %s)", got, deref(got.Tel),
			deref(got.Host), deref(got.Postkey), deref(got.NameKey))
	}
}
