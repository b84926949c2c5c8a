// Command token prints a new API token and the API_TOKENS entry that allows
// it: the token's name and the SHA-256 of the secret (the server never holds
// the secret itself).
//
//	go run ./cmd/token -name alice
package main

import (
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"os"

	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/server"
)

func main() {
	name := flag.String("name", os.Getenv("USER"), "the name recorded as the author of this token's changes (a slug)")
	flag.Parse()
	if !plan.ValidSlug(*name) {
		fmt.Fprintf(os.Stderr, "token: -name %q must be a slug (lower-case letters, digits, dashes)\n", *name)
		os.Exit(2)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		fmt.Fprintln(os.Stderr, "token:", err)
		os.Exit(1)
	}
	secret := base64.RawURLEncoding.EncodeToString(b[:])
	fmt.Printf("token (give it to %s; it is shown once):\n  %s\n", *name, secret)
	fmt.Printf("API_TOKENS entry (comma-separate several):\n  %s:%s\n", *name, server.TokenHash(secret))
	fmt.Printf("use it as:\n  Authorization: Bearer %s\n", secret)
}
