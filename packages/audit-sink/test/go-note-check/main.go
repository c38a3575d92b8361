// An independent check of the audit sink's checkpoint format, run by test/signed-note.test.ts:
// golang.org/x/mod/sumdb/note (the reference implementation of C2SP signed notes) opens a
// checkpoint our code signed, signs with our private key, and makes a key of its own for us to
// read; golang.org/x/mod/sumdb/tlog checks one of our inclusion proofs (RFC 6962).
//
// Input on stdin, output on stdout, both JSON (see the types below).
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type input struct {
	VerifierKey string   `json:"verifier_key"`
	SignerKey   string   `json:"signer_key"`
	Note        string   `json:"note"`
	TextToSign  string   `json:"text_to_sign"`
	LeafData    string   `json:"leaf_data"` // base64
	LeafIndex   int64    `json:"leaf_index"`
	TreeSize    int64    `json:"tree_size"`
	Path        []string `json:"path"` // base64
	Root        string   `json:"root"` // base64
}

type output struct {
	OpenedText     string `json:"opened_text"`
	OpenError      string `json:"open_error"`
	SignedByOurKey string `json:"signed_by_our_key"`
	GoSignerKey    string `json:"go_signer_key"`
	GoVerifierKey  string `json:"go_verifier_key"`
	GoSignedNote   string `json:"go_signed_note"`
	LeafHash       string `json:"leaf_hash"`
	ProofError     string `json:"proof_error"`
}

func b64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		fail(err)
	}
	return b
}

func hash(s string) tlog.Hash {
	var h tlog.Hash
	copy(h[:], b64(s))
	return h
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(2)
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fail(err)
	}
	var out output

	verifier, err := note.NewVerifier(in.VerifierKey)
	if err != nil {
		fail(fmt.Errorf("our verifier key: %w", err))
	}
	if n, err := note.Open([]byte(in.Note), note.VerifierList(verifier)); err != nil {
		out.OpenError = err.Error()
	} else {
		out.OpenedText = n.Text
	}

	signer, err := note.NewSigner(in.SignerKey)
	if err != nil {
		fail(fmt.Errorf("our signer key: %w", err))
	}
	signed, err := note.Sign(&note.Note{Text: in.TextToSign}, signer)
	if err != nil {
		fail(err)
	}
	out.SignedByOurKey = string(signed)

	skey, vkey, err := note.GenerateKey(nil, "go.example/witness")
	if err != nil {
		fail(err)
	}
	goSigner, _ := note.NewSigner(skey)
	goSigned, err := note.Sign(&note.Note{Text: in.TextToSign}, goSigner)
	if err != nil {
		fail(err)
	}
	out.GoSignerKey, out.GoVerifierKey, out.GoSignedNote = skey, vkey, string(goSigned)

	leaf := tlog.RecordHash(b64(in.LeafData))
	out.LeafHash = base64.StdEncoding.EncodeToString(leaf[:])
	proof := make(tlog.RecordProof, len(in.Path))
	for i, p := range in.Path {
		proof[i] = hash(p)
	}
	if err := tlog.CheckRecord(proof, in.TreeSize, hash(in.Root), in.LeafIndex, leaf); err != nil {
		out.ProofError = err.Error()
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err)
	}
}
