"""Local development stack (PostgreSQL, Kafka, Apicurio Registry, Kafka Connect + Debezium)."""
