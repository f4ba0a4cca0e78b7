"""The product's decisions as pure code: no Faust, no Kafka, no I/O beyond reading config files."""
