package slack

import (
	"context"
	"fmt"

	slackgo "github.com/slack-go/slack"
)

// Groups reads the members of Slack user groups with slack-go
// (usergroups.users.list), with a bot token that has usergroups:read. The
// token is read at each call from token (a cached secret), so a rotated
// token is picked up.
type Groups struct {
	token func(ctx context.Context) (string, error)
	// APIURL is Slack's Web API, "https://slack.com/api/" when empty; tests
	// set a server on 127.0.0.1.
	APIURL string
}

// NewGroups gives a reader of user groups with the bot token from token.
func NewGroups(token func(ctx context.Context) (string, error)) *Groups {
	return &Groups{token: token}
}

// Members lists the user IDs in group.
func (g *Groups) Members(ctx context.Context, group string) ([]string, error) {
	tok, err := g.token(ctx)
	if err != nil {
		return nil, fmt.Errorf("slack user group %s: bot token: %w", group, err)
	}
	var opts []slackgo.Option
	if g.APIURL != "" {
		opts = append(opts, slackgo.OptionAPIURL(g.APIURL))
	}
	members, err := slackgo.New(tok, opts...).GetUserGroupMembersContext(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("slack user group %s: usergroups.users.list: %w", group, err)
	}
	return members, nil
}
