// The `notifications` part of baton.config.json's JSON Schema (config-schema.ts spreads it in; docs/console.md).

/**
 * A `flows` filter: a non-empty list of distinct flow names, described by `description` (an approver's flows in
 * config-schema.ts, a notification channel's here).
 */
export function flowNames(description: string) {
  return {
    "type": "array",
    "minItems": 1,
    "uniqueItems": true,
    "items": {
      "type": "string",
      "minLength": 1
    },
    "description": description
  } as const;
}

/** A tenant id: lower-case letters, digits, `-`, `_`, at most 63 characters. */
export const TENANT_ID_PATTERN = "^[a-z0-9][a-z0-9_-]{0,62}$";

/**
 * A list of tenants: a non-empty list of distinct tenant ids, described by `description` (a user's tenants in
 * config-schema.ts, a notification channel's here).
 */
export function tenantIds(description: string) {
  return {
    "type": "array",
    "minItems": 1,
    "uniqueItems": true,
    "items": {
      "type": "string",
      "pattern": TENANT_ID_PATTERN
    },
    "description": description
  } as const;
}

/** `notifications`: its channels, the console URL of the links, the retry policy. */
export const NOTIFICATIONS_SCHEMA = {
  "description": "Notifications `baton serve` sends when an approval is waiting, a run failed or an SLA was breached (docs/console.md): signed webhooks (Slack, Teams or Baton's own JSON) and e-mail over SMTP, each channel with the events, tenants and flows it is for. Written to an outbox in the store with the event, sent after the commit, retried with backoff: a run never waits for one. Secrets (webhook URLs and signing secrets, SMTP passwords) come from the environment variables named here.",
  "type": "object",
  "additionalProperties": false,
  "required": [
    "channels"
  ],
  "properties": {
    "consoleUrl": {
      "type": "string",
      "pattern": "^https?://",
      "description": "Where people open the console (e.g. https://baton.example.com): the links in notifications start with it (`<consoleUrl>/#/inbox?run=…&task=…`, `<consoleUrl>/#/runs/<id>`). Default: the server's own URL."
    },
    "channels": {
      "description": "The channels by name (letters, digits, `-`, `_`): the name is part of each delivery's id (`webhook-id`).",
      "type": "object",
      "propertyNames": {
        "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"
      },
      "additionalProperties": {
        "$ref": "#/definitions/notifyChannel"
      }
    },
    "retry": {
      "description": "How a delivery that failed for a passing reason (a refused connection, 408, 429, 5xx, an SMTP 4xx reply) is tried again: after firstDelaySeconds, doubling up to maxDelaySeconds (±20% jitter), at most maxAttempts tries in all; then it is dead (shown in the console's Notifications page, which can retry it).",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "maxAttempts": {
          "type": "integer",
          "minimum": 1,
          "maximum": 100,
          "description": "Tries in all, the first included (default 8)."
        },
        "firstDelaySeconds": {
          "type": "number",
          "minimum": 0.001,
          "maximum": 86400,
          "description": "The wait before the second try, seconds (default 30)."
        },
        "maxDelaySeconds": {
          "type": "number",
          "minimum": 0.001,
          "maximum": 604800,
          "description": "The longest wait between tries, seconds (default 3600)."
        }
      }
    }
  }
} as const;

/** The channel definitions `notifications.channels.<name>` refers to. */
export const NOTIFY_SCHEMA_DEFINITIONS = {
  "notifyChannel": {
    "type": "object",
    "additionalProperties": false,
    "required": [
      "on"
    ],
    "description": "One channel: a `webhook` or an `email` (one of them), the events it is for, and optionally the tenants and flows it is limited to.",
    "properties": {
      "webhook": {
        "$ref": "#/definitions/webhookChannel"
      },
      "email": {
        "$ref": "#/definitions/emailChannel"
      },
      "on": {
        "type": "array",
        "minItems": 1,
        "uniqueItems": true,
        "items": {
          "enum": [
            "approval.waiting",
            "run.failed",
            "sla.breached"
          ]
        },
        "description": "approval.waiting: an approval asks for a decision; run.failed: a run ended failed (a dead letter); sla.breached: a flow's or an approval's SLA passed."
      },
      "tenants": tenantIds("Only these tenants' runs (default: every tenant's)."),
      "flows": flowNames("Only these flows' runs (flow names; default: every flow).")
    }
  },
  "webhookChannel": {
    "type": "object",
    "additionalProperties": false,
    "description": "POSTs JSON to a URL (`url`, or the environment variable `urlEnv` names: Slack's and Teams' incoming-webhook URLs are secrets), signed with the Standard Webhooks scheme (webhook-id, webhook-timestamp, webhook-signature) when `secretEnv` is given.",
    "properties": {
      "url": {
        "type": "string",
        "pattern": "^https?://",
        "description": "The receiver's URL (no secret in it; otherwise use urlEnv)."
      },
      "urlEnv": {
        "type": "string",
        "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
        "description": "The environment variable holding the receiver's URL."
      },
      "secretEnv": {
        "type": "string",
        "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
        "description": "The environment variable holding the signing secret (raw text, or `whsec_` followed by base64, as Standard Webhooks libraries make them)."
      },
      "format": {
        "enum": [
          "baton",
          "slack",
          "teams"
        ],
        "description": "baton (default): Baton's JSON ({type, id, tenant, runId, flow, task, assignee, deadline, error, url, …}); slack: {text} for a Slack incoming webhook; teams: an Adaptive Card message for a Teams (Workflows) webhook."
      }
    }
  },
  "emailChannel": {
    "type": "object",
    "additionalProperties": false,
    "required": [
      "smtp",
      "from"
    ],
    "description": "Sends e-mail over SMTP (nodemailer) to `to`, and, with `toAssignee`, to the users an approval is assigned to (its assignee is their name or one of their groups; their `email`).",
    "properties": {
      "smtp": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "host",
          "port"
        ],
        "properties": {
          "host": {
            "type": "string",
            "minLength": 1
          },
          "port": {
            "type": "integer",
            "minimum": 1,
            "maximum": 65535
          },
          "secure": {
            "type": "boolean",
            "description": "TLS from the start (port 465). Default false: STARTTLS when the server offers it."
          },
          "userEnv": {
            "type": "string",
            "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
            "description": "The environment variable holding the SMTP user name."
          },
          "passwordEnv": {
            "type": "string",
            "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
            "description": "The environment variable holding the SMTP password."
          }
        }
      },
      "from": {
        "type": "string",
        "minLength": 3,
        "description": "The sender, e.g. \"Baton <baton@example.com>\"."
      },
      "to": {
        "type": "array",
        "uniqueItems": true,
        "items": {
          "type": "string",
          "minLength": 3
        },
        "description": "Addresses every notification of the channel goes to."
      },
      "toAssignee": {
        "type": "boolean",
        "description": "Also the e-mail of the users an approval.waiting's assignee names (their name or one of their groups, in the run's tenant)."
      }
    }
  }
} as const;
