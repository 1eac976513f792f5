/**
 * Shared infrastructure of model-backed agents (`anthropic`, `local`): tool
 * schemas from action spaces and validation of tool replies, prompt text,
 * the response cache, the request limiter, token and cost accounting, the
 * price table, dry-run estimates, and the run-scoped runtime. Imports only
 * src/core; provider SDKs load lazily inside.
 */
export { ACTION_TOOL_NAME, actionSchema, actionTool, describeSpace, readToolInput, type JsonSchema, type ToolReply, type ToolSpec } from './tools.js';
export { HistoryWindowSchema, windowStart, defaultSystemPrompt, systemBlocks, stepFeedback, omittedNote, retryFeedback, NO_TOOL_CALL, type HistoryWindow } from './prompt.js';
export { addUsage, promptTokens, usageFromAnthropic, ZERO_USAGE, type TokenUsage } from './usage.js';
export { PRICES, PRICES_CHECKED, batchPrice, priceFor, costUsd, maxCostUsd, roundUsd, type Price, type Rates } from './prices.js';
export { Tally, CostMeter, RequestTicket, type LedgerWriter } from './meter.js';
export { backoffMs, sleep, MAX_BACKOFF_MS } from './retry.js';
export { AppendLog, cutTornTail, openForAppend } from './append-log.js';
export { cacheKey, cacheKeyOf, rolloutFile, type CacheLog, CacheMissError, CorruptCacheError, readRolloutEntries, ResponseCache, RolloutCache, type CacheKeyParts } from './cache.js';
export { RequestLimiter, retryAfterMs, sharedLimiter, type Limiter, type LimiterOptions, type LimiterStats } from './limiter.js';
export { LlmRuntime, createLlmRuntime, llmRuntimeOf, LLM_SERVICE, type LlmRuntimeOptions, type PrefixSource, type RunHalt } from './runtime.js';
export { remoteRuntime, runtimeHost, type RemoteInit, type RuntimeCall, type RuntimeNews, type RuntimeHost, type RuntimeLink } from './remote.js';
export { COST_FILE, COST_LEDGER, CostLedger, LedgerLineSchema, readLedger, summarizeLedger, type LedgerLine, type LedgerSource } from './ledger.js';
export {
  defineModelAgent,
  isModelAgent,
  modelAgentOf,
  hasModelAgents,
  preflightModelAgents,
  type CallShape,
  type ModelAgentDefinition,
  type ModelAgentHooks,
  type ModelAgentUse,
  type BatchTarget,
  type WrapsModelAgent,
  type PromptSample,
  type ScenarioAgent,
} from './model-agent.js';
export { approxTokens, assumedOutputTokens, REPLY_TOKENS, FEEDBACK_TOKENS, callTokens, rolloutTokens, rolloutCost, estimateRun, ESTIMATE_METHOD, TOOL_PROMPT_TOKENS, type EstimateInput, type EstimateRow, type RunEstimate } from './estimate.js';
export { buildRequest, RequestMemo, serialiseRequest, type RequestSettings, type RetryTurn, type StepRequestInput, type ThinkingSetting } from './anthropic/request.js';
export { parseReply, type ParsedReply } from './anthropic/response.js';
export type { AnthropicConfig, MessagesCaller, MessagesReply } from './anthropic/client.js';
export { ApiCallError, apiCallError, fatalReason, type ApiFault } from './anthropic/faults.js';
export { AnthropicSession, apiKeyFrom, type SessionInit } from './anthropic/session.js';
export { bufferedFetch, nodeFetch } from './anthropic/node-fetch.js';
export { BATCHES_FILE, batchCustomId, MessageBatcher, readBatchLines, type BatcherOptions, type BatchLine, type BatchRequestMeta } from './anthropic/batcher.js';
export { createBatchClient, type BatchClient, type BatchCounts, type BatchResult, type BatchStatus } from './anthropic/batch-client.js';
export { actionUncertainty, actionValueSpan, type ActionUncertainty, type TokenLogprob } from './logprobs.js';
export { createChatCaller, isLoopback, PUBLIC_OPENAI_URL, type ChatCaller, type ChatReply, type OpenAIConfig } from './openai/client.js';
export { buildChatRequest, ChatRequestMemo, toolCallId, type ChatSettings, type ChatTurn } from './openai/request.js';
export { parseChat, usageFromOpenAI, type ParsedChat, type ParsedChoice } from './openai/response.js';
export { OpenAISession, openaiKeyFrom, requestSeed, type ChatSessionInit } from './openai/session.js';
