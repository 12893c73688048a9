package scp

import (
	"fmt"
	"slices"
)

// OrgContext models the parts of an AWS organisation that decide which organisation
// policies apply to a request: the tree from the root through OUs to accounts, the
// management account, and the SCPs and RCPs attached to each target. Build it with
// NewOrg, AddOU, AddAccount and the Attach methods; a zero OrgContext is an empty
// organisation, where no request is governed by any guardrail.
type OrgContext struct {
	ID                string
	Root              string
	ManagementAccount string
	// Parents maps every OU and account to its parent (an OU or the root).
	Parents map[string]string
	// SCPs and RCPs hold the policies attached to each target (root, OU or account)
	// besides the AWS-managed FullAWSAccess and RCPFullAWSAccess.
	SCPs map[string][]Document
	RCPs map[string][]Document
	// WithoutFullAWSAccess lists targets where FullAWSAccess was detached. AWS attaches
	// it everywhere by default; a level without any allowing SCP denies everything below.
	// RCPFullAWSAccess cannot be detached, so it has no such switch.
	WithoutFullAWSAccess map[string]bool
}

// NewOrg starts an organisation with its root and management account.
func NewOrg(id, root, managementAccount string) OrgContext {
	o := OrgContext{
		ID:                   id,
		Root:                 root,
		ManagementAccount:    managementAccount,
		Parents:              map[string]string{},
		SCPs:                 map[string][]Document{},
		RCPs:                 map[string][]Document{},
		WithoutFullAWSAccess: map[string]bool{},
	}
	if managementAccount != "" {
		o.Parents[managementAccount] = root
	}
	return o
}

func (o *OrgContext) init() {
	if o.Parents == nil {
		o.Parents = map[string]string{}
	}
	if o.SCPs == nil {
		o.SCPs = map[string][]Document{}
	}
	if o.RCPs == nil {
		o.RCPs = map[string][]Document{}
	}
	if o.WithoutFullAWSAccess == nil {
		o.WithoutFullAWSAccess = map[string]bool{}
	}
}

// AddOU places an OU under parent (the root or another OU).
func (o *OrgContext) AddOU(id, parent string) { o.init(); o.Parents[id] = parent }

// AddAccount places a member account under parent (the root or an OU).
func (o *OrgContext) AddAccount(id, parent string) { o.init(); o.Parents[id] = parent }

// AttachSCP attaches SCPs to a target.
func (o *OrgContext) AttachSCP(target string, docs ...Document) {
	o.init()
	o.SCPs[target] = append(o.SCPs[target], docs...)
}

// AttachRCP attaches RCPs to a target.
func (o *OrgContext) AttachRCP(target string, docs ...Document) {
	o.init()
	o.RCPs[target] = append(o.RCPs[target], docs...)
}

// DetachFullAWSAccess removes the default FullAWSAccess SCP from a target.
func (o *OrgContext) DetachFullAWSAccess(target string) {
	o.init()
	o.WithoutFullAWSAccess[target] = true
}

// Member reports whether an account belongs to the organisation, management included.
func (o OrgContext) Member(account string) bool {
	if account == "" {
		return false
	}
	if account == o.ManagementAccount {
		return true
	}
	_, err := o.path(account)
	return err == nil
}

// path returns the targets whose policies govern an account, root first and the
// account itself last.
func (o OrgContext) path(account string) ([]string, error) {
	out := []string{account}
	cur := account
	for range 64 {
		parent, ok := o.Parents[cur]
		if !ok {
			return nil, fmt.Errorf("account %s is not in the organisation", account)
		}
		out = append(out, parent)
		if parent == o.Root {
			slices.Reverse(out)
			return out, nil
		}
		cur = parent
	}
	return nil, fmt.Errorf("account %s: the organisation tree has a cycle or is deeper than 64 levels", account)
}

const (
	fullAWSAccessName    = "FullAWSAccess"
	rcpFullAWSAccessName = "RCPFullAWSAccess"
)

// FullAWSAccess is the AWS-managed SCP attached to every target by default.
func FullAWSAccess() Document {
	return Document{
		Name: fullAWSAccessName,
		Kind: KindSCP,
		JSON: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
		Policy: Policy{Version: "2012-10-17", Statements: []Statement{
			{Effect: "Allow", Action: []string{"*"}, Resource: []string{"*"}},
		}},
	}
}

// RCPFullAWSAccess is the AWS-managed RCP attached to every target; it cannot be detached.
func RCPFullAWSAccess() Document {
	return Document{
		Name: rcpFullAWSAccessName,
		Kind: KindRCP,
		JSON: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`),
		Policy: Policy{Version: "2012-10-17", Statements: []Statement{
			{Effect: "Allow", Principal: &Principals{Wildcard: true}, Action: []string{"*"}, Resource: []string{"*"}},
		}},
	}
}

func (o OrgContext) scpsAt(target string) []Document {
	var docs []Document
	if !o.WithoutFullAWSAccess[target] {
		docs = append(docs, FullAWSAccess())
	}
	return append(docs, o.SCPs[target]...)
}

func (o OrgContext) rcpsAt(target string) []Document {
	return append([]Document{RCPFullAWSAccess()}, o.RCPs[target]...)
}
