// Package auth hashes passwords and issues and verifies access tokens.
//
// Passwords are hashed with bcrypt. Tokens are JWTs signed with HS256 over a
// secret that is generated at first start and kept in the data directory
// (mode 0600), or taken from DOCENT_SECRET_KEY; there is no default secret.
// Verification pins the algorithm, the issuer and the audience and requires
// an expiry, so "alg: none", RS/HS confusion and tokens minted for another
// service are refused.
package auth
