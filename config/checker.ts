// Collects validation results for one resource: field errors (the resource is rejected, with
// every reason at once) and warnings (unknown fields), plus the checks shared by several kinds —
// selectors, Secret references and CIDR lists.
import type { Cidr } from './validate.js';
import { FieldError } from './validate.js';
import * as v from './validate.js';
import { parseSelector, SelectorError } from './selector.js';
import type { SecretKeyRef, Validation } from './resources.js';

/** Collects field errors so one pass reports every problem of a resource. */
export class Checker {
  errors: string[] = [];
  warnings: string[] = [];

  /** Run one field's validation; on failure record it and return undefined. */
  field<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (err instanceof FieldError) this.errors.push(err.message);
      else throw err;
      return undefined;
    }
  }

  error(path: string, reason: string): void {
    this.errors.push(`${path}: ${reason}`);
  }

  unknown(path: string, obj: Record<string, unknown>, known: readonly string[]): void {
    for (const k of Object.keys(obj)) if (!known.includes(k)) this.warnings.push(`${path}.${k}: unknown field ignored`);
  }

  selector(path: string, val: unknown): string | undefined {
    const s = this.field(() => v.str(path, val));
    if (s === undefined) return undefined;
    try {
      return parseSelector(s).toString();
    } catch (err) {
      if (err instanceof SelectorError) this.error(path, err.message);
      else throw err;
      return undefined;
    }
  }

  secretRef(path: string, val: unknown): SecretKeyRef | undefined {
    const m = this.field(() => v.map(path, val));
    if (!m) return undefined;
    this.unknown(path, m, ['secretKeyRef']);
    if (m.secretKeyRef === undefined) {
      this.error(`${path}.secretKeyRef`, 'is required');
      return undefined;
    }
    const ref = this.field(() => v.map(`${path}.secretKeyRef`, m.secretKeyRef));
    if (!ref) return undefined;
    this.unknown(`${path}.secretKeyRef`, ref, ['name', 'key', 'optional']);
    const name = this.field(() => v.resourceName(`${path}.secretKeyRef.name`, ref.name));
    const key = this.field(() => v.str(`${path}.secretKeyRef.key`, ref.key));
    const optional = ref.optional === undefined ? false : this.field(() => v.bool(`${path}.secretKeyRef.optional`, ref.optional));
    if (name === undefined || key === undefined || optional === undefined) return undefined;
    if (key === '') {
      this.error(`${path}.secretKeyRef.key`, 'must not be empty');
      return undefined;
    }
    return { name, key, optional };
  }

  cidrList(path: string, val: unknown): Cidr[] | undefined {
    const l = this.field(() => v.list(path, val));
    if (!l) return undefined;
    const out: Cidr[] = [];
    l.forEach((item, i) => {
      const m = this.field(() => v.map(`${path}[${i}]`, item));
      if (!m) return;
      this.unknown(`${path}[${i}]`, m, ['cidr']);
      const c = this.field(() => v.cidr(`${path}[${i}].cidr`, m.cidr, { network: true, allowBare: true }));
      if (c) out.push(c);
    });
    return out;
  }

  done<T>(resource: T): Validation<T> {
    return this.errors.length ? { ok: false, errors: this.errors, warnings: this.warnings } : { ok: true, resource, warnings: this.warnings };
  }
}
