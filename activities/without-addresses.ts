/**
 * E-mail addresses out of a text that leaves for somewhere less protected than the mail itself: failure messages
 * (stored in the history; the codec encrypts payloads, not every failure), webhook copies and alerts (chat tools
 * keep them and show them to a channel).
 */
export const withoutAddresses = (text: string): string => text.replace(/[^\s<>"'(),;:]+@[^\s<>"'(),;:]+/g, '<address>');
