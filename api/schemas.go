package api

// schemas are the OpenAPI component schemas of every body docent reads or writes.
func schemas() obj {
	source := object([]string{"document_id", "filename", "chunk_index", "score", "text"}, obj{
		"document_id": integer(), "filename": str(), "title": str(), "chunk_index": integer(),
		"page": integer(), "end_page": integer(), "headings": arrayOf(str()), "score": number(), "text": str(),
		"below_floor": boolean(),
	})
	message := object([]string{"id", "conversation_id", "role", "content", "tokens_used", "created_at"}, obj{
		"id": integer(), "conversation_id": integer(), "role": enum("user", "assistant"),
		"content": str(), "tokens_used": integer(), "created_at": timestamp(),
		"sources": arrayOf(ref("Source")), "mode": enum("llm", "extractive"), "model": str(),
		"partial": boolean(),
	})
	conversation := obj{
		"id": integer(), "title": str(), "created_at": timestamp(), "updated_at": timestamp(),
		"workspace_id": obj{"type": []string{"integer", "null"}, "description": "the workspace its questions look at; null: everything the user may read"},
		"document_ids": arrayOf(integer()),
	}
	withMessages := obj{"messages": arrayOf(ref("Message"))}
	for k, v := range conversation {
		withMessages[k] = v
	}
	nullInt := obj{"type": []string{"integer", "null"}, "description": "null: no limit"}
	quotaOverride := object(nil, obj{"documents": nullInt, "bytes": nullInt, "chunks": nullInt})
	quotaOverride["description"] = "an admin's change to the server's default quota: a number replaces the default (0: no limit), null or absent follows it"
	user := object([]string{"id", "username", "email", "role", "is_active", "created_at", "updated_at"}, obj{
		"id": integer(), "username": str(), "email": obj{"type": "string", "format": "email"},
		"role": enum("user", "admin"), "is_active": boolean(), "created_at": timestamp(), "updated_at": timestamp(),
		"pending":        obj{"type": "boolean", "description": "registered while registration needs approval, not activated yet"},
		"usage":          object([]string{"documents", "bytes", "chunks"}, obj{"documents": integer(), "bytes": integer(), "chunks": integer()}),
		"quota":          object([]string{"documents", "bytes", "chunks"}, obj{"documents": nullInt, "bytes": nullInt, "chunks": nullInt}),
		"quota_override": quotaOverride,
	})
	apiKey := obj{
		"id": integer(), "user_id": integer(), "name": str(), "scope": enum("read", "write"),
		"prefix":     obj{"type": "string", "description": "the key's first characters, to tell keys apart"},
		"created_at": timestamp(), "last_used_at": obj{"type": []string{"string", "null"}, "format": "date-time"},
	}
	newKey := obj{"key": obj{"type": "string", "description": "the key (dk_…), shown only in this answer"}}
	for k, v := range apiKey {
		newKey[k] = v
	}
	username := obj{"type": "string", "minLength": 3, "maxLength": 50, "pattern": `^[A-Za-z0-9][A-Za-z0-9._-]*$`}
	invite := obj{"id": integer(), "code": obj{"type": "string", "description": "the code (inv_…), shown only when it is made"},
		"created_by": integer(), "created_at": timestamp(), "expires_at": timestamp(), "used_by": integer(), "used_at": timestamp()}
	password := obj{"type": "string", "minLength": 8, "maxLength": 72, "description": "at least 8 characters and at most 72 bytes"}
	current := obj{"type": "string", "description": "the caller's current password: required with password when changing one's own"}
	return obj{
		"Banner": object(nil, obj{"message": str(), "version": str()}),
		"Status": object([]string{"status"}, obj{"status": str()}),
		"Problem": object([]string{"status", "detail"}, obj{
			"type": str(), "title": str(), "status": integer(), "detail": str(), "request_id": str(),
			"errors": arrayOf(object(nil, obj{"field": str(), "message": str()})),
		}),
		"RegisterRequest": object([]string{"username", "email", "password"}, obj{
			"username": username, "email": obj{"type": "string", "format": "email"}, "password": password,
			"invite": obj{"type": "string", "description": "an invite code (inv_…): required in invite mode, skips the wait in approval mode"},
		}),
		"UserCreate": object([]string{"username", "email", "password"}, obj{
			"username": username, "email": obj{"type": "string", "format": "email"}, "password": password, "role": enum("user", "admin"),
		}),
		"PendingUser": object([]string{"username", "email", "pending", "detail"}, obj{
			"username": str(), "email": str(), "role": enum("user"), "is_active": boolean(), "pending": boolean(), "detail": str(),
		}),
		"RegistrationInfo": object([]string{"mode", "first_account"}, obj{
			"mode": enum("open", "approval", "invite", "closed"), "first_account": boolean(),
		}),
		"InviteCreate": object(nil, obj{"expires_in": obj{"type": "integer", "minimum": 60, "maximum": 7776000, "default": 604800,
			"description": "seconds until the code expires"}}),
		"NewInvite":  object([]string{"id", "code", "expires_at"}, invite),
		"InviteList": arrayOf(object([]string{"id", "expires_at"}, invite)),
		"TokenRequest": object([]string{"username", "password"}, obj{
			"username": str(), "password": str(), "grant_type": enum("password"), "scope": str(),
		}),
		"Token": object([]string{"access_token", "token_type", "expires_in"}, obj{
			"access_token": str(), "token_type": enum("bearer"), "expires_in": integer(),
		}),
		"User":       user,
		"UserList":   arrayOf(ref("User")),
		"UserUpdate": object(nil, obj{"username": str(), "email": str(), "password": password, "current_password": current}),
		"UserAdminUpdate": object(nil, obj{"is_active": boolean(), "role": enum("user", "admin"),
			"password": password, "current_password": current,
			"quota": obj{"oneOf": []obj{quotaOverride, {"type": "null"}}, "description": "null: back to the defaults"}}),
		"Conversation":             object([]string{"id", "title", "created_at", "updated_at"}, conversation),
		"ConversationWithMessages": object([]string{"id", "title", "messages"}, withMessages),
		"ConversationList":         arrayOf(ref("Conversation")),
		"ConversationCreate":       object(nil, obj{"title": str(), "workspace_id": integer(), "document_ids": arrayOf(integer())}),
		"ConversationUpdate": object(nil, obj{"title": str(), "workspace_id": obj{"type": []string{"integer", "null"}},
			"document_ids": arrayOf(integer())}),
		"Message":     message,
		"MessageList": arrayOf(ref("Message")),
		"MessageCreate": object([]string{"content"}, obj{
			"content": str(), "stream": boolean(),
			"top_k":        obj{"type": "integer", "minimum": 1, "maximum": 100, "default": 5},
			"document_ids": arrayOf(integer()), "workspace_id": integer(),
		}),
		"Exchange": object([]string{"user_message", "assistant_message"}, obj{
			"user_message": ref("Message"), "assistant_message": ref("Message"),
		}),
		"AskRequest": object([]string{"question"}, obj{
			"question": str(), "stream": boolean(),
			"top_k":        obj{"type": "integer", "minimum": 1, "maximum": 100, "default": 5},
			"document_ids": arrayOf(integer()), "workspace_id": integer(),
		}),
		"Answer": object([]string{"content", "mode", "tokens_used", "sources"}, obj{
			"content": str(), "mode": enum("llm", "extractive"), "model": str(), "tokens_used": integer(),
			"sources": arrayOf(ref("Source")), "partial": boolean(),
		}),
		"Source":      source,
		"EventStream": obj{"type": "string", "description": "text/event-stream: event sources {sources}, delta {content}..., then done {assistant_message} or error {detail}"},
		"Upload":      object([]string{"file"}, obj{"file": arrayOf(obj{"type": "string", "format": "binary"})}),
		"UploadURL":   object([]string{"url"}, obj{"url": str(), "workspace_id": integer()}),
		"Watch": object([]string{"folder", "mode", "files", "pending", "failed", "passes", "syncing"}, obj{
			"folder": str(), "owner": integer(), "mode": enum("inotify", "polling"), "files": integer(), "pending": integer(),
			"failed": integer(), "passes": integer(), "last_sync": timestamp(), "syncing": boolean(), "error": str()}),
		"WatchList": arrayOf(ref("Watch")),
		"Document": object([]string{"id", "filename", "content_type", "size", "sha256", "status", "chunks", "shared", "created_at"}, obj{
			"id": integer(), "filename": str(), "content_type": str(), "size": integer(), "sha256": str(),
			"status": enum("queued", "processing", "ready", "failed"), "error": str(), "chunks": integer(),
			"pages": integer(), "title": str(), "path": str(), "shared": boolean(), "created_at": timestamp(),
			"updated_at": timestamp(), "duplicate": boolean(), "progress": number(),
		}),
		"DocumentList": arrayOf(ref("Document")),
		"ChunkList": arrayOf(object([]string{"index", "text", "start", "end"}, obj{
			"index": integer(), "text": str(), "page": integer(), "headings": arrayOf(str()), "start": integer(), "end": integer(), "ocr": boolean(), "ocr_confidence": number(),
		})),
		"Analysis": object([]string{"summary", "key_points", "mode"}, obj{
			"document_id": integer(), "summary": str(), "key_points": arrayOf(str()),
			"mode": enum("llm", "extractive"), "model": str(), "tokens_used": integer(),
		}),
		"SearchRequest": object([]string{"query"}, obj{
			"query": str(), "top_k": obj{"type": "integer", "minimum": 1, "maximum": 100, "default": 5},
			"document_ids": arrayOf(integer()), "workspace_id": integer(), "mode": enum("hybrid", "vector", "keyword"), "diversify": boolean(),
		}),
		"CheckReport": object([]string{"ok", "store", "index"}, obj{
			"ok": boolean(), "index": arrayOf(str()),
			"store": obj{"type": "object", "description": "counts of records, interrupted documents and the problems found"},
		}),
		"SearchResults": object([]string{"results"}, obj{"results": arrayOf(ref("Source"))}),
		"Workspace": object([]string{"id", "name", "visibility", "owner_id", "documents", "access", "created_at"}, obj{
			"id": integer(), "name": str(), "visibility": enum("private", "members", "everyone"),
			"owner_id":  obj{"type": "integer", "description": "0 for the server's workspaces (the shared library's), which admins manage"},
			"documents": arrayOf(integer()), "access": enum("read", "write"), "library": boolean(),
			"members":    arrayOf(object([]string{"user_id", "access"}, obj{"user_id": integer(), "username": str(), "access": enum("read", "write")})),
			"created_at": timestamp(), "updated_at": timestamp(),
		}),
		"WorkspaceList": arrayOf(ref("Workspace")),
		"WorkspaceCreate": object([]string{"name"}, obj{
			"name": obj{"type": "string", "minLength": 1, "maxLength": 100}, "visibility": obj{"enum": []string{"private", "members", "everyone"}, "default": "private"},
		}),
		"WorkspaceUpdate": object(nil, obj{"name": str(), "visibility": enum("private", "members", "everyone")}),
		"MemberUpdate":    object([]string{"access"}, obj{"access": enum("read", "write")}),
		"ModelList": object([]string{"object", "data"}, obj{"object": enum("list"), "data": arrayOf(object([]string{"id", "object"}, obj{
			"id": str(), "object": enum("model"), "created": integer(), "owned_by": str(),
		}))}),
		"ChatCompletionRequest": object([]string{"messages"}, obj{
			"model": obj{"type": "string", "description": "docent, or docent/<workspace name>", "default": "docent"},
			"messages": arrayOf(object([]string{"role", "content"}, obj{
				"role":    enum("system", "developer", "user", "assistant"),
				"content": obj{"description": "a string, or an array of content parts whose text parts are read"},
			})),
			"stream": boolean(), "stream_options": object(nil, obj{"include_usage": boolean()}),
			"max_tokens": integer(), "max_completion_tokens": integer(), "temperature": number(), "n": obj{"type": "integer", "enum": []int{1}},
		}),
		"ChatCompletion": object([]string{"id", "object", "created", "model", "choices"}, obj{
			"id": str(), "object": enum("chat.completion", "chat.completion.chunk"), "created": integer(), "model": str(),
			"choices": arrayOf(object(nil, obj{"index": integer(), "message": object(nil, obj{"role": str(), "content": str()}),
				"delta": object(nil, obj{"role": str(), "content": str()}), "finish_reason": enum("stop", "length")})),
			"usage":   object(nil, obj{"prompt_tokens": integer(), "completion_tokens": integer(), "total_tokens": integer()}),
			"sources": arrayOf(ref("Source")),
		}),
		"KeyCreate": object([]string{"name"}, obj{
			"name": obj{"type": "string", "minLength": 1, "maxLength": 100}, "scope": obj{"enum": []string{"read", "write"}, "default": "read"},
		}),
		"Key":     object([]string{"id", "name", "scope", "prefix", "created_at", "last_used_at"}, apiKey),
		"KeyList": arrayOf(ref("Key")),
		"NewKey":  object([]string{"id", "name", "scope", "prefix", "created_at", "key"}, newKey),
	}
}
