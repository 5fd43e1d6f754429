/**
 * The failure converter of encrypted deployments, loaded by path (`failureConverterPath`): the worker puts it in
 * the workflow bundle and loads it for activities, the client loads it to read failures. Failure messages and
 * stack traces are not payloads, so without `encodeCommonAttributes` they reach the server in plain text (a
 * temporary SMTP error quoting `450 <alice@…>`, an activity's stack). With it they travel as one encoded payload,
 * which the payload codec encrypts. Decoding needs nothing: every converter reads encoded attributes.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
