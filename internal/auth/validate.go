package auth

import (
	"errors"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// FieldError says which account field is invalid and why.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// ValidateUsername allows 3–50 letters, digits, '.', '_' and '-', starting
// with a letter or digit.
func ValidateUsername(name string) error {
	if n := utf8.RuneCountInString(name); n < 3 || n > 50 {
		return &FieldError{"username", "must be 3 to 50 characters"}
	}
	for i, c := range name {
		alnum := c < 128 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')
		if !alnum && (i == 0 || !strings.ContainsRune("._-", c)) {
			return &FieldError{"username", "may use only letters, digits, '.', '_' and '-', and must start with a letter or digit"}
		}
	}
	return nil
}

// ValidateEmail accepts a plain address (no display name) with a dotted domain.
func ValidateEmail(email string) error {
	addr, err := mail.ParseAddress(email)
	at := strings.LastIndexByte(email, '@')
	if err != nil || addr.Address != email || len(email) > 254 || at < 1 ||
		!strings.Contains(email[at+1:], ".") || strings.HasSuffix(email, ".") {
		return &FieldError{"email", "is not a valid email address"}
	}
	return nil
}

// PasswordRules states what ValidatePassword accepts, in the words every
// refusal uses.
const PasswordRules = "must be at least 8 characters and at most 72 bytes"

// ValidatePassword wants at least 8 characters and at most 72 bytes
// (bcrypt reads no further). A refusal states both rules.
func ValidatePassword(pw string) error {
	if utf8.RuneCountInString(pw) < 8 || len(pw) > 72 {
		return &FieldError{"password", PasswordRules}
	}
	return nil
}

// ValidateAccount checks the fields of a new account and returns every
// problem at once (nil when there is none), in the order username, email,
// password.
func ValidateAccount(username, email, password string) []*FieldError {
	var out []*FieldError
	for _, err := range []error{ValidateUsername(username), ValidateEmail(email), ValidatePassword(password)} {
		var fe *FieldError
		if errors.As(err, &fe) {
			out = append(out, fe)
		}
	}
	return out
}
