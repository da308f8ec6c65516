// Package auth hashes passwords, issues and verifies access tokens, and
// makes API keys.
//
// Passwords are hashed with bcrypt. Tokens are JWTs signed with HS256 over a
// secret that is generated at first start and kept in the data directory
// (mode 0600), or taken from DOCENT_SECRET_KEY; there is no default secret.
// Verification pins the algorithm, the issuer and the audience and requires
// an expiry, so "alg: none", RS/HS confusion and tokens minted for another
// service are refused.
//
// API keys ("dk_" and 256 random bits in base 62) are long-lived bearer
// credentials for scripts and other tools. Only their SHA-256 is stored;
// the store records with each key the generation of its user's
// credentials, so a password change or a deactivation stops keys and
// tokens alike.
package auth
