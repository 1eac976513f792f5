import { writeTinyLlama } from '/work/main/test/helpers/gguf-writer.js';
import { getLlama, LlamaCompletion } from 'node-llama-cpp';
const path = writeTinyLlama('/tmp/lltest/tiny.gguf', { seed: 'a' });
const t0 = Date.now();
const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'warn' as any });
const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
console.log('model', Date.now() - t0, model.tokenizer('hello {"a"}'));
const ctx = await model.createContext({ contextSize: 256, seed: 0 } as any);
const seq = ctx.getSequence();
const comp = new LlamaCompletion({ contextSequence: seq });
const grammar = await llama.createGrammarForJsonSchema({ type: 'object', properties: { move: { enum: ['N', 'E', 'S', 'W'] } }, required: ['move'], additionalProperties: false } as const);
for (const seed of [1, 1, 2, 3]) {
  const t1 = Date.now();
  const r = await comp.generateCompletionWithMeta('You are in a maze. Reply with a move.', { grammar, seed, temperature: 1, maxTokens: 40 });
  console.log(seed, JSON.stringify(r.response), r.metadata, Date.now() - t1);
}
const g2 = await llama.createGrammarForJsonSchema({ type: 'object', properties: { sum: { type: 'integer' } }, required: ['sum'], additionalProperties: false } as const);
for (const seed of [1, 2]) {
  const r = await comp.generateCompletionWithMeta('Sum:', { grammar: g2, seed, temperature: 1, maxTokens: 40 });
  console.log(seed, JSON.stringify(r.response), r.metadata);
}
await model.dispose(); await llama.dispose();
