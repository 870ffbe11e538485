// Schema pieces every feature's wire schemas share. Pure TypeBox (no server code), so the web app
// can import the types built from them.
import { type TProperties, Type } from 'typebox';

/** A path or body id. */
export const Id = Type.String({ minLength: 1, maxLength: 100 });

/** A name people give something; the service trims it and applies platform/names.ts. */
export const NameField = Type.String({ minLength: 1, maxLength: 200 });

/** `{"ok": true}` of dashboard actions that return nothing else. */
export const Ok = Type.Object({ ok: Type.Boolean() });

/** The Partner API's envelope: every body is `{"response": ...}`. */
export const wrap = <T extends TProperties>(props: T) => Type.Object({ response: Type.Object(props) });

export const NullableString = Type.Union([Type.String(), Type.Null()]);
