//! HPKE base mode (RFC 9180).
