// Moving blob bytes between the client and R2 without holding them: a request body streams into
// a fresh object (length known up front: FixedLengthStream), a block list is composed by
// streaming its blocks' ranges in order into one new object, and reads stream a range back.
// Every new object is announced to the account object before its first byte (beginUpload) and
// abandoned if the write fails, so the account's garbage collection can always find it.
import type { StubOf } from "../../../shared/durable";
import type { StorageAccountObject, BlockListPlan } from "./account-object";
import type { StorageEnv } from "./env";

export function newObjectKey(account: string, kind: "blob" | "block"): string {
  return `${account}/${kind}/${crypto.randomUUID()}`;
}

function base64(bytes: ArrayBuffer): string {
  let binary = "";
  for (const b of new Uint8Array(bytes)) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** The MD5 R2 computed for a single-part object (base64, as Content-MD5), if it has one. */
export function objectMd5(object: R2Object): string | null {
  const md5 = object.checksums.md5;
  if (md5) return base64(md5);
  // A single-part object's etag is its MD5 in hex.
  if (/^[0-9a-f]{32}$/i.test(object.etag)) {
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 16; i++) bytes[i] = parseInt(object.etag.slice(i * 2, i * 2 + 2), 16);
    return base64(bytes.buffer);
  }
  return null;
}

async function guarded(object: StubOf<StorageAccountObject>, key: string, write: () => Promise<R2Object | null>): Promise<R2Object> {
  await object.beginUpload(key);
  try {
    const stored = await write();
    // put() answers null only for unmet onlyIf conditions, which are never passed here.
    if (!stored) throw new Error(`R2 did not store ${key}`);
    return stored;
  } catch (err) {
    await object.abandonUpload(key).catch(() => undefined);
    throw err;
  }
}

/** Streams a request body of `length` bytes into a new object at `key`. */
export function storeBody(env: StorageEnv, object: StubOf<StorageAccountObject>, key: string, body: ReadableStream<Uint8Array> | null, length: number): Promise<R2Object> {
  return guarded(object, key, async () => {
    if (length === 0 || !body) {
      if (body) await body.cancel().catch(() => undefined);
      return env.BLOBS.put(key, new Uint8Array(0));
    }
    // The declared length is enforced: a shorter or longer body fails the write.
    return env.BLOBS.put(key, body.pipeThrough(new FixedLengthStream(length)));
  });
}

/** Composes a block list's sources, in order, into a new object at `key`. */
export function composeBlocks(env: StorageEnv, object: StubOf<StorageAccountObject>, key: string, plan: BlockListPlan): Promise<R2Object> {
  return guarded(object, key, async () => {
    if (plan.total === 0) return env.BLOBS.put(key, new Uint8Array(0));
    const { readable, writable } = new FixedLengthStream(plan.total);
    const pump = (async () => {
      try {
        for (const source of plan.sources) {
          if (source.length === 0) continue;
          const part = await env.BLOBS.get(source.objectKey, { range: { offset: source.offset, length: source.length } });
          if (!part) throw new Error(`block data ${source.objectKey} is gone`);
          await part.body.pipeTo(writable, { preventClose: true });
        }
        await writable.close();
      } catch (err) {
        await writable.abort(err).catch(() => undefined);
        throw err;
      }
    })();
    const [stored] = await Promise.all([env.BLOBS.put(key, readable), pump]);
    return stored;
  });
}
