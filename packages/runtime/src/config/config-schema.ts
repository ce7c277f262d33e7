import { flowNames, NOTIFICATIONS_SCHEMA, NOTIFY_SCHEMA_DEFINITIONS, TENANT_ID_PATTERN, tenantIds } from './notify-schema.js';

/**
 * The JSON Schema (draft-07) of `baton.config.json`: the source of truth. `schemas/baton.config.schema.json`
 * is this object written out for editors (the extension's `jsonValidation` points at it; a test checks the
 * two are equal — regenerate with `npm run gen:schema`). `loadConfig` validates with it (ajv).
 */
export const BATON_CONFIG_SCHEMA = {
  "$schema": "http://json-schema.org/draft-07/schema#",
  "$id": "https://baton.dev/schemas/baton.config.schema.json",
  "title": "Baton configuration (baton.config.json)",
  "description": "How `--agents real` reaches real agents: providers and their base URLs, HTTP endpoints, local commands, and per-agent overrides; and the tenants `baton serve` and `baton worker` serve. API keys, API tokens and webhook secrets are never written here: name the environment variable that holds one.",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "$schema": {
      "type": "string"
    },
    "providers": {
      "description": "Where the model providers are: `openai`, `anthropic`, and `ollama` (any OpenAI-compatible server).",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "openai": {
          "$ref": "#/definitions/provider"
        },
        "anthropic": {
          "$ref": "#/definitions/provider"
        },
        "ollama": {
          "$ref": "#/definitions/provider"
        }
      }
    },
    "endpoints": {
      "description": "HTTP agents (`model: \"http/<name>\"`): each call POSTs JSON to `url` and reads `{\"output\": …, \"tokens\": n}` back.",
      "type": "object",
      "additionalProperties": {
        "$ref": "#/definitions/endpoint"
      }
    },
    "commands": {
      "description": "Local command agents (`model: \"command/<name>\"`): each call runs the process with the request as JSON on stdin and reads `{\"output\": …, \"tokens\": n}` from stdout; a non-zero exit is a failure.",
      "type": "object",
      "additionalProperties": {
        "$ref": "#/definitions/command"
      }
    },
    "agents": {
      "description": "Per-agent overrides by agent name, applied over what the .flow file says.",
      "type": "object",
      "additionalProperties": {
        "$ref": "#/definitions/agentOverride"
      }
    },
    "tenants": {
      "description": "The tenants of `baton serve` and `baton worker`, by id (lower-case letters, digits, `-`, `_`). Each has its own API token and webhook secret (named environment variables), runs only it can see, a queue with its concurrency, and a rate limit on its webhook starts. Without tenants every run is tenant `default`'s (BATON_API_TOKEN, BATON_WEBHOOK_SECRET).",
      "type": "object",
      "propertyNames": {
        "pattern": TENANT_ID_PATTERN
      },
      "additionalProperties": {
        "$ref": "#/definitions/tenant"
      }
    },
    "users": {
      "description": "The people and programs who use `baton serve`'s runs API and console, by user name (letters, digits, `.`, `-`, `_`, `@`). Each signs in with its own token, read from the environment variable `tokenEnv` names (never written here), and may do what its roles allow in its tenant only. With users, the decision, cancellation and migration record the signed-in user; without, the old single-token mode holds (docs/security.md).",
      "type": "object",
      "propertyNames": {
        "pattern": "^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$"
      },
      "additionalProperties": {
        "$ref": "#/definitions/user"
      }
    },
    "sessions": {
      "description": "The console's sign-in sessions (a signed cookie after a token sign-in; docs/security.md).",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "secretEnv": {
          "type": "string",
          "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
          "description": "The environment variable holding the secret that signs session cookies (at least 32 characters; default BATON_SESSION_SECRET). Unset: a random secret per process, so a restart signs everyone out and front doors behind one load balancer do not share sessions."
        },
        "maxAgeMinutes": {
          "type": "integer",
          "minimum": 1,
          "maximum": 10080,
          "description": "How long a session lasts after sign-in, minutes (default 480: 8 hours)."
        },
        "origin": {
          "type": "string",
          "pattern": "^https?://[^/]+$",
          "description": "The origin people open the console at, e.g. https://baton.example.com (a TLS proxy in front of baton serve). https: the session cookie is Secure (and named __Host-baton_session)."
        }
      }
    },
    "notifications": NOTIFICATIONS_SCHEMA,
    "mcp": {
      "description": "The MCP servers whose tools agents may call (`tools: [mcp.<server>.<tool>]` in a .flow file; docs/mcp.md).",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "servers": {
          "description": "MCP servers by name (letters, digits, `_`; the name a .flow file's `mcp.<server>.<tool>` uses): a local command spoken to over stdio, or a streamable HTTP URL. A value written `${NAME}` in `env` or `headers` is read from the environment variable NAME when the server is first used (never logged or stored).",
          "type": "object",
          "propertyNames": {
            "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,62}$"
          },
          "additionalProperties": {
            "$ref": "#/definitions/mcpServer"
          }
        }
      }
    },
    "prices": {
      "description": "What models cost, for the cost recorded on each step: \"provider/model\" → US dollars per million input and output tokens.",
      "type": "object",
      "additionalProperties": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "input",
          "output"
        ],
        "properties": {
          "input": {
            "type": "number",
            "minimum": 0
          },
          "output": {
            "type": "number",
            "minimum": 0
          }
        }
      }
    },
    "telemetry": {
      "description": "Observability (docs/observability.md): OpenTelemetry traces of runs sent over OTLP/HTTP to `otlp.endpoint` (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT win over it; without any, nothing is exported), and who may read `baton serve`'s Prometheus `/metrics`.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "serviceName": {
          "type": "string",
          "minLength": 1,
          "description": "The traces' `service.name` (OTEL_SERVICE_NAME wins over it). Default `baton`."
        },
        "otlp": {
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "endpoint": {
              "type": "string",
              "pattern": "^https?://",
              "description": "The OTLP/HTTP collector's base URL, as OTEL_EXPORTER_OTLP_ENDPOINT: spans are POSTed (JSON) to <endpoint>/v1/traces, e.g. http://127.0.0.1:4318."
            },
            "headersFromEnv": {
              "type": "object",
              "additionalProperties": {
                "type": "string",
                "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"
              },
              "description": "Header name → the environment variable holding its value (a collector's token)."
            }
          }
        },
        "metrics": {
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "public": {
              "type": "boolean",
              "description": "`baton serve`'s GET /metrics answers without a token (for a scraper on a private network). Default false: it asks for an API token, as the runs API does."
            }
          }
        },
        "traceUrl": {
          "type": "string",
          "pattern": "^https?://.*\\{traceId\\}",
          "description": "Where the web console links a run's trace: a URL in which `{traceId}` is replaced by the run's trace id (32 hex digits, derived from the run id), e.g. http://jaeger:16686/trace/{traceId}. GET /runs/<id> answers it as traceUrl."
        }
      }
    },
    "runs": {
      "description": "What the runs started here record.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "recordPrompts": {
          "description": "Record each agent step's prompt as rendered (at most 16 KiB) on its step.started event, where baton runs show and the console show it. It holds what the run's inputs and outputs hold, which are stored already. false: no prompt is recorded (set when the run starts: a resumed run keeps it). Default true.",
          "type": "boolean"
        }
      }
    },
    "limits": {
      "description": "Bounds the runtime keeps runs within.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "maxFlowDepth": {
          "description": "How deep sub-flow calls may nest (a flow calling itself counts one level per call); a step that would go deeper fails with FLOW_DEPTH_EXCEEDED. Recorded when a run starts: a resumed run keeps the bound it started with. Default 64.",
          "type": "integer",
          "minimum": 1,
          "maximum": 1000
        }
      }
    }
  },
  "definitions": {
    ...NOTIFY_SCHEMA_DEFINITIONS,
    "provider": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "baseUrl": {
          "type": "string",
          "pattern": "^https?://",
          "description": "Where the API is, e.g. http://127.0.0.1:11434/v1 for Ollama. An environment variable (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, OPENAI_COMPATIBLE_BASE_URL for ollama) wins over it."
        },
        "apiKeyEnv": {
          "type": "string",
          "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
          "description": "The environment variable holding the API key (defaults: OPENAI_API_KEY, ANTHROPIC_API_KEY; ollama needs none)."
        },
        "defaultModel": {
          "type": "string",
          "minLength": 1,
          "description": "The model used by `model: \"<provider>\"` with no model name."
        },
        "structuredOutput": {
          "enum": [
            "json_schema",
            "json_object"
          ],
          "description": "ollama (OpenAI-compatible servers): how JSON output is asked for — json_schema (default) unless the server only knows json_object."
        }
      }
    },
    "endpoint": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "url"
      ],
      "properties": {
        "url": {
          "type": "string",
          "pattern": "^https?://"
        },
        "headers": {
          "type": "object",
          "additionalProperties": {
            "type": "string"
          },
          "description": "Headers sent as they are (no secrets here)."
        },
        "headersFromEnv": {
          "type": "object",
          "additionalProperties": {
            "type": "string",
            "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"
          },
          "description": "Header name → the environment variable holding its value (for tokens)."
        }
      }
    },
    "command": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "command"
      ],
      "properties": {
        "command": {
          "type": "array",
          "minItems": 1,
          "items": {
            "type": "string",
            "minLength": 1
          },
          "description": "The program and its arguments, run without a shell."
        },
        "cwd": {
          "type": "string",
          "description": "Working directory, relative to this file's folder (default: that folder)."
        },
        "env": {
          "type": "object",
          "additionalProperties": {
            "type": "string"
          },
          "description": "Extra environment variables for the process."
        }
      }
    },
    "mcpServer": {
      "oneOf": [
        {
          "type": "object",
          "additionalProperties": false,
          "required": [
            "command"
          ],
          "properties": {
            "command": {
              "type": "array",
              "minItems": 1,
              "items": {
                "type": "string",
                "minLength": 1
              },
              "description": "The server's program and its arguments, run without a shell; MCP over its stdin/stdout."
            },
            "env": {
              "type": "object",
              "additionalProperties": {
                "type": "string"
              },
              "description": "Extra environment variables for the process (`${NAME}`: the value of NAME in Baton's environment)."
            },
            "cwd": {
              "type": "string",
              "description": "Working directory, relative to this file's folder (default: that folder)."
            }
          }
        },
        {
          "type": "object",
          "additionalProperties": false,
          "required": [
            "url"
          ],
          "properties": {
            "url": {
              "type": "string",
              "pattern": "^https?://",
              "description": "The server's streamable HTTP endpoint, e.g. https://crm.example.com/mcp."
            },
            "headers": {
              "type": "object",
              "additionalProperties": {
                "type": "string"
              },
              "description": "Headers sent with every request, e.g. {\"Authorization\": \"Bearer ${CRM_TOKEN}\"} (`${NAME}`: the value of NAME in Baton's environment)."
            }
          }
        }
      ]
    },
    "tenant": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "apiTokenEnv": {
          "type": "string",
          "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
          "description": "The environment variable holding the tenant's token for the runs API (`Authorization: Bearer …`). Default: BATON_API_TOKEN for tenant `default`, none for the others (no runs API)."
        },
        "webhookSecretEnv": {
          "type": "string",
          "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
          "description": "The environment variable holding the secret the tenant signs webhooks and events with (`X-Baton-Signature`). Default: BATON_WEBHOOK_SECRET for tenant `default`, none for the others (no triggers)."
        },
        "concurrency": {
          "type": "integer",
          "minimum": 1,
          "maximum": 10000,
          "description": "How many of the tenant's runs execute at once on its queue (default 8)."
        },
        "flows": {
          "type": "array",
          "minItems": 1,
          "uniqueItems": true,
          "items": {
            "type": "string",
            "minLength": 1,
            "pattern": "^(?![/\\\\])(?![A-Za-z]:)(?!(.*[/\\\\])?\\.\\.([/\\\\]|$))[^*?\\[\\]{}]+$"
          },
          "description": "The tenant's flows: .flow files or folders (every .flow file under one), relative to this file's folder. The runs their schedules start are the tenant's (with `--queue`, on its queue). A file belongs to at most one tenant; a file no tenant names is tenant `default`'s. Webhooks and events are the tenant's whose secret signed them."
        },
        "rateLimit": {
          "type": "object",
          "additionalProperties": false,
          "required": [
            "max",
            "perMs"
          ],
          "description": "At most `max` webhook and event starts per `perMs` milliseconds (a sliding window); more are answered 429 with Retry-After. Counted per `baton serve`, or across every front door of a cluster (`--queue`: in Redis). Default: no limit.",
          "properties": {
            "max": {
              "type": "integer",
              "minimum": 1,
              "maximum": 1000000
            },
            "perMs": {
              "type": "integer",
              "minimum": 1,
              "maximum": 86400000
            }
          }
        }
      }
    },
    "user": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "tokenEnv",
        "roles"
      ],
      "properties": {
        "tokenEnv": {
          "type": "string",
          "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
          "description": "The environment variable holding the user's token (`Authorization: Bearer …`, or the console's sign-in)."
        },
        "tenant": {
          "type": "string",
          "pattern": TENANT_ID_PATTERN,
          "description": "The tenant whose runs the user sees and acts on (default `default`); it must be `default` or a tenant of `tenants`. Not with `tenants`."
        },
        "tenants": tenantIds("The tenants the user works in, one at a time (like Temporal's namespaces): a request names one with `?tenant=<id>` (the console's tenant picker does), the first when it names none; its roles apply in each. Each must be `default` or a tenant of `tenants`. Not with `tenant`."),
        "roles": {
          "type": "array",
          "minItems": 1,
          "uniqueItems": true,
          "items": {
            "enum": [
              "viewer",
              "approver",
              "operator",
              "admin"
            ]
          },
          "description": "viewer: reads runs and locks; approver: also decides approvals it may (see flows, and the approval's assignee); operator: also starts, cancels, redrives and sends events; admin: everything of its tenant, migrations included."
        },
        "groups": {
          "type": "array",
          "uniqueItems": true,
          "items": {
            "type": "string",
            "minLength": 1
          },
          "description": "Names an approval's `assignee` may give instead of the user's own name (a team: \"finance\")."
        },
        "email": {
          "type": "string",
          "minLength": 3,
          "description": "The user's e-mail address: e-mail channels with toAssignee send approvals assigned to the user (or a group of its) here."
        },
        "flows": flowNames("An approver decides approvals of these flows only (flow names; default: every flow of its tenant).")
      }
    },
                "agentOverride": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "model": {
          "type": "string",
          "pattern": "^(openai|anthropic|ollama|http|command)/.+$",
          "description": "provider/model, as in a .flow file's agent."
        },
        "temperature": {
          "type": "number",
          "minimum": 0,
          "maximum": 2
        },
        "maxTokens": {
          "type": "integer",
          "minimum": 1
        }
      }
    }
  }
} as const;
