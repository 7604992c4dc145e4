// Package mapping owns the CACS case export format: decoding the XML
// (streaming, one case at a time), character sets, the security limits on
// what a file may make the reader do, validation of every field, and the
// normalisation of the values other packages match on (postcodes, money,
// dates, names, phones, websites).
//
// It produces plain Go values (Export, Case and their parts) and a list of
// Problems that carries no personal data. It knows no files and no
// database: the daemon hands it a reader, the repository takes its values.
//
// Every element and attribute name the format uses lives in names.go, so a
// council whose exports name things differently changes that one file.
package mapping
