/** The Message-ID rule lives with the workflows (workflows/message-id.ts), which derive a sent notice's id from it. */
export { DEFAULT_MESSAGE_ID_DOMAIN, messageIdFor } from '../workflows/message-id';
