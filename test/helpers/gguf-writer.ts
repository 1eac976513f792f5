/**
 * A GGUF v3 writer for test models: a tiny llama-architecture transformer
 * with seeded random F32 weights and a byte-level SentencePiece vocabulary
 * (`<unk>`, `<s>`, `</s>`, then the 256 byte tokens `<0x00>`…`<0xFF>`), so
 * llama.cpp can tokenize any text by byte fallback and the JSON grammar can
 * spell any reply. Same options → byte-identical file.
 *
 * Layout (GGUF spec v3, little-endian): magic "GGUF", version, tensor count,
 * KV count, KV pairs, tensor infos, padding to `general.alignment`, tensor
 * data with each tensor aligned. Dimensions are in ggml order (ne[0] first:
 * the input dimension of a weight matrix).
 */
import { writeFileSync } from 'node:fs';
import { createRng } from '../../src/core/index.js';

export interface TinyLlamaOptions {
  readonly seed: string;
  readonly embd?: number;
  readonly layers?: number;
  readonly heads?: number;
  readonly headsKv?: number;
  readonly ff?: number;
  readonly context?: number;
  /** Standard deviation of the weight matrices: larger gives peakier next-token distributions. */
  readonly scale?: number;
}

const ALIGN = 32;
const enum T {
  U32 = 4,
  I32 = 5,
  F32 = 6,
  STRING = 8,
  ARRAY = 9,
}
type Kv = { key: string; type: T.U32 | T.F32 | T.STRING; value: number | string } | { key: string; type: T.ARRAY; of: T.STRING | T.F32 | T.I32; values: readonly (string | number)[] };

/** Appends little-endian values to a growing buffer. */
class Bytes {
  private buf = Buffer.alloc(1 << 16);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v: number): void {
    this.room(4);
    this.length = this.buf.writeUInt32LE(v, this.length);
  }
  i32(v: number): void {
    this.room(4);
    this.length = this.buf.writeInt32LE(v, this.length);
  }
  u64(v: number): void {
    this.room(8);
    this.length = this.buf.writeBigUInt64LE(BigInt(v), this.length);
  }
  f32(v: number): void {
    this.room(4);
    this.length = this.buf.writeFloatLE(v, this.length);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.raw(b);
  }
  raw(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  pad(): void {
    const n = (ALIGN - (this.length % ALIGN)) % ALIGN;
    this.raw(new Uint8Array(n));
  }
  done(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeKv(out: Bytes, kv: Kv): void {
  out.str(kv.key);
  out.u32(kv.type);
  if (kv.type === T.ARRAY) {
    out.u32(kv.of);
    out.u64(kv.values.length);
    for (const v of kv.values) {
      if (kv.of === T.STRING) out.str(v as string);
      else if (kv.of === T.F32) out.f32(v as number);
      else out.i32(v as number);
    }
  } else if (kv.type === T.STRING) out.str(kv.value as string);
  else if (kv.type === T.F32) out.f32(kv.value as number);
  else out.u32(kv.value as number);
}

/** Token types of llama.cpp's vocabulary. */
const TOKEN_NORMAL = 1;
const TOKEN_UNKNOWN = 2;
const TOKEN_CONTROL = 3;
const TOKEN_BYTE = 6;

function vocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  // '▁' is SentencePiece's space: as a normal token it detokenizes to ' '.
  const tokens = ['<unk>', '<s>', '</s>', '\u2581'];
  const types = [TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_CONTROL, TOKEN_NORMAL];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TOKEN_BYTE);
  }
  return { tokens, scores: tokens.map(() => 0), types };
}

/** Build the file's bytes. */
export function tinyLlamaGguf(opts: TinyLlamaOptions): Buffer {
  const embd = opts.embd ?? 32;
  const layers = opts.layers ?? 1;
  const heads = opts.heads ?? 2;
  const headsKv = opts.headsKv ?? heads;
  const ff = opts.ff ?? 2 * embd;
  const context = opts.context ?? 512;
  const scale = opts.scale ?? 0.1;
  const headDim = embd / heads;
  const vocab = vocabulary();
  const nVocab = vocab.tokens.length;

  const kvs: Kv[] = [
    { key: 'general.architecture', type: T.STRING, value: 'llama' },
    { key: 'general.name', type: T.STRING, value: `hotmess-tiny-${opts.seed}` },
    { key: 'general.alignment', type: T.U32, value: ALIGN },
    { key: 'llama.context_length', type: T.U32, value: context },
    { key: 'llama.embedding_length', type: T.U32, value: embd },
    { key: 'llama.block_count', type: T.U32, value: layers },
    { key: 'llama.feed_forward_length', type: T.U32, value: ff },
    { key: 'llama.attention.head_count', type: T.U32, value: heads },
    { key: 'llama.attention.head_count_kv', type: T.U32, value: headsKv },
    { key: 'llama.rope.dimension_count', type: T.U32, value: headDim },
    { key: 'llama.attention.layer_norm_rms_epsilon', type: T.F32, value: 1e-5 },
    { key: 'tokenizer.ggml.model', type: T.STRING, value: 'llama' },
    { key: 'tokenizer.ggml.tokens', type: T.ARRAY, of: T.STRING, values: vocab.tokens },
    { key: 'tokenizer.ggml.scores', type: T.ARRAY, of: T.F32, values: vocab.scores },
    { key: 'tokenizer.ggml.token_type', type: T.ARRAY, of: T.I32, values: vocab.types },
    { key: 'tokenizer.ggml.unknown_token_id', type: T.U32, value: 0 },
    { key: 'tokenizer.ggml.bos_token_id', type: T.U32, value: 1 },
    { key: 'tokenizer.ggml.eos_token_id', type: T.U32, value: 2 },
  ];

  // [name, dims in ggml order, 'norm' | 'weight']
  const tensors: [string, number[], boolean][] = [['token_embd.weight', [embd, nVocab], false]];
  for (let l = 0; l < layers; l++) {
    const p = `blk.${l}.`;
    tensors.push(
      [p + 'attn_norm.weight', [embd], true],
      [p + 'attn_q.weight', [embd, embd], false],
      [p + 'attn_k.weight', [embd, headDim * headsKv], false],
      [p + 'attn_v.weight', [embd, headDim * headsKv], false],
      [p + 'attn_output.weight', [embd, embd], false],
      [p + 'ffn_norm.weight', [embd], true],
      [p + 'ffn_gate.weight', [embd, ff], false],
      [p + 'ffn_up.weight', [embd, ff], false],
      [p + 'ffn_down.weight', [ff, embd], false],
    );
  }
  tensors.push(['output_norm.weight', [embd], true], ['output.weight', [embd, nVocab], false]);

  const out = new Bytes();
  out.raw(Buffer.from('GGUF', 'ascii'));
  out.u32(3);
  out.u64(tensors.length);
  out.u64(kvs.length);
  for (const kv of kvs) writeKv(out, kv);
  let offset = 0;
  for (const [name, dims] of tensors) {
    out.str(name);
    out.u32(dims.length);
    for (const d of dims) out.u64(d);
    out.u32(0); // GGML_TYPE_F32
    out.u64(offset);
    const bytes = dims.reduce((a, b) => a * b, 1) * 4;
    offset += Math.ceil(bytes / ALIGN) * ALIGN;
  }
  out.pad();
  const rng = createRng(`gguf:${opts.seed}`);
  for (const [, dims, norm] of tensors) {
    const n = dims.reduce((a, b) => a * b, 1);
    for (let i = 0; i < n; i++) out.f32(norm ? 1 : rng.normal() * scale);
    out.pad();
  }
  return out.done();
}

/** Write a tiny model to `path`; returns the path. */
export function writeTinyLlama(path: string, opts: TinyLlamaOptions): string {
  writeFileSync(path, tinyLlamaGguf(opts));
  return path;
}
