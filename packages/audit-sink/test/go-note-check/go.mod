module domain-otel/audit-sink/go-note-check

go 1.25.0

require golang.org/x/mod v0.39.0
