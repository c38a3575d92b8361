import { InstrumentationBase, InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import { audit, channels, failureReporter } from '@domain-otel/api';
import type { FailureReporter } from '@domain-otel/api';
import { buildDecision, subjectTypeName } from './decision';
import type {
  AbilityLike, AbilityPrototype, CaslModuleExports, CheckArgs, CheckFrame, ForbiddenErrorLike, ForbiddenErrorPrototype,
} from './internal-types';
import type { CaslCheckKind, CaslInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** Versions whose `can`/`cannot`/`relevantRuleFor`/`ForbiddenError` shapes were verified. */
export const SUPPORTED_VERSIONS = ['>=6 <8'];

/**
 * The check being evaluated right now. CASL checks are synchronous, so one slot (saved and
 * restored around every check) is enough, also for checks nested inside condition matchers.
 */
let frame: CheckFrame | undefined;

function newFrame(): CheckFrame {
  return { captured: false, rule: null, depth: 0 };
}

/** The prototype that defines `can` and `relevantRuleFor` (PureAbility in 6.x, Ability in 7.x). */
function checkPrototype(exports: CaslModuleExports): AbilityPrototype | undefined {
  for (const candidate of [exports.PureAbility, exports.Ability]) {
    let proto: object | null = candidate?.prototype ?? null;
    while (proto !== null && proto !== Object.prototype) {
      if (Object.hasOwn(proto, 'can') && Object.hasOwn(proto, 'relevantRuleFor')) return proto as AbilityPrototype;
      proto = Object.getPrototypeOf(proto) as object | null;
    }
  }
  return undefined;
}

function forbiddenErrorPrototype(exports: CaslModuleExports): ForbiddenErrorPrototype | undefined {
  const proto = exports.ForbiddenError?.prototype as Partial<ForbiddenErrorPrototype> | undefined;
  return typeof proto?.throwUnlessCan === 'function' ? (proto as ForbiddenErrorPrototype) : undefined;
}

/**
 * Turns every @casl/ability check (`can`, `cannot`, `ForbiddenError.throwUnlessCan` /
 * `unlessCan`) into an `audit.decision()` of @domain-otel/api. It never creates spans or
 * log records itself: @domain-otel/instrumentation-domain maps the decisions.
 */
export class CaslInstrumentation extends InstrumentationBase<CaslInstrumentationConfig> {
  // `declare`: InstrumentationBase calls setConfig() and enable() from its constructor,
  // before class field initialisers would run.
  declare private sampleRatio: number | undefined;

  constructor(config: CaslInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  /** Reports a failure of this adapter's bookkeeping once per place, through its diag logger. */
  private get failures(): FailureReporter {
    return failureReporter(this._diag, 'the check');
  }

  override setConfig(config: CaslInstrumentationConfig = {}): void {
    super.setConfig(config);
    this.sampleRatio = undefined;
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        '@casl/ability',
        SUPPORTED_VERSIONS,
        (exports: CaslModuleExports) => this.patch(exports),
        (exports: CaslModuleExports) => this.unpatch(exports),
      ),
    ];
  }

  private patch(exports: CaslModuleExports): CaslModuleExports {
    const proto = checkPrototype(exports);
    if (proto === undefined) {
      this._diag.warn('@casl/ability: no class with can/relevantRuleFor found; checks are not recorded');
    } else {
      this._wrap(proto, 'relevantRuleFor', (original) => wrapRelevantRuleFor(original));
      this._wrap(proto, 'can', (original) => this.wrapCan(original));
      this._wrap(proto, 'cannot', (original) => this.wrapCannot(original));
    }
    const errorProto = forbiddenErrorPrototype(exports);
    if (errorProto === undefined) {
      this._diag.warn('@casl/ability: ForbiddenError.throwUnlessCan not found; ForbiddenError checks are not recorded');
    } else if (typeof errorProto.unlessCan === 'function') {
      // throwUnlessCan calls unlessCan (6.1+): wrapping unlessCan covers both exactly once.
      this._wrap(errorProto, 'unlessCan', (original) => this.wrapUnlessCan(original as NonNullable<ForbiddenErrorPrototype['unlessCan']>));
    } else {
      this._wrap(errorProto, 'throwUnlessCan', (original) => this.wrapThrowUnlessCan(original));
    }
    return exports;
  }

  private unpatch(exports: CaslModuleExports): void {
    const proto = checkPrototype(exports);
    if (proto !== undefined) {
      for (const name of ['can', 'cannot', 'relevantRuleFor'] as const) {
        if (isWrapped(proto[name])) this._unwrap(proto, name);
      }
    }
    const errorProto = forbiddenErrorPrototype(exports);
    if (errorProto !== undefined) {
      if (isWrapped(errorProto.unlessCan)) this._unwrap(errorProto, 'unlessCan');
      if (isWrapped(errorProto.throwUnlessCan)) this._unwrap(errorProto, 'throwUnlessCan');
    }
  }

  private wrapCan(original: AbilityPrototype['can']): AbilityPrototype['can'] {
    const self = this;
    return function can(this: AbilityLike, ...args: CheckArgs): boolean {
      if (!channels.auditDecision.hasSubscribers) return original.apply(this, args);
      const outer = frame;
      const mine = newFrame();
      frame = mine;
      let granted: boolean;
      try {
        granted = original.apply(this, args);
      } finally {
        frame = outer;
      }
      // `cannot` is `!can` in every supported version: record once, as a `cannot` check.
      let kind: CaslCheckKind = 'can';
      if (outer !== undefined && outer.cannotOf === this && outer.recorded !== true) {
        outer.recorded = true;
        kind = 'cannot';
      }
      self.record(this, args, Boolean(granted), mine, kind);
      return granted;
    };
  }

  private wrapCannot(original: AbilityPrototype['cannot']): AbilityPrototype['cannot'] {
    const self = this;
    return function cannot(this: AbilityLike, ...args: CheckArgs): boolean {
      if (!channels.auditDecision.hasSubscribers) return original.apply(this, args);
      const outer = frame;
      const mine: CheckFrame = { ...newFrame(), cannotOf: this, recorded: false };
      frame = mine;
      let denied: boolean;
      try {
        denied = original.apply(this, args);
      } finally {
        frame = outer;
      }
      // Recorded by the inner `can` unless this version's `cannot` does not go through it.
      if (mine.recorded !== true) self.record(this, args, !denied, mine, 'cannot');
      return denied;
    };
  }

  private wrapUnlessCan(original: NonNullable<ForbiddenErrorPrototype['unlessCan']>): ForbiddenErrorPrototype['unlessCan'] {
    const self = this;
    return function unlessCan(this: ForbiddenErrorLike, ...args: CheckArgs): unknown {
      if (!channels.auditDecision.hasSubscribers) return original.apply(this, args);
      const outer = frame;
      const mine = newFrame();
      frame = mine;
      let error: unknown;
      try {
        error = original.apply(this, args);
      } finally {
        frame = outer;
      }
      self.record(this.ability, args, !error, mine, 'ForbiddenError');
      return error;
    };
  }

  /** 6.0.x: no `unlessCan`; `throwUnlessCan` throws the ForbiddenError itself. */
  private wrapThrowUnlessCan(original: ForbiddenErrorPrototype['throwUnlessCan']): ForbiddenErrorPrototype['throwUnlessCan'] {
    const self = this;
    return function throwUnlessCan(this: ForbiddenErrorLike, ...args: CheckArgs): void {
      if (!channels.auditDecision.hasSubscribers) return original.apply(this, args);
      const outer = frame;
      const mine = newFrame();
      frame = mine;
      try {
        original.apply(this, args);
      } catch (err) {
        frame = outer;
        if (err === this) self.record(this.ability, args, false, mine, 'ForbiddenError');
        throw err;
      } finally {
        frame = outer;
      }
      self.record(this.ability, args, true, mine, 'ForbiddenError');
    };
  }

  private ratio(): number {
    if (this.sampleRatio !== undefined) return this.sampleRatio;
    const raw = this._config.grantedReadSampleRatio;
    let ratio = 1;
    if (typeof raw === 'number' && raw >= 0 && raw <= 1) ratio = raw;
    else if (raw !== undefined) this._diag.warn(`grantedReadSampleRatio must be a number from 0 to 1, got ${String(raw)}; recording every granted read`);
    this.sampleRatio = ratio;
    return ratio;
  }

  private record(ability: AbilityLike, args: CheckArgs, granted: boolean, checked: CheckFrame, check: CaslCheckKind): void {
    try {
      const [action, subject, field] = args;
      const rule = checked.captured ? checked.rule : ability.relevantRuleFor(action, subject, field);
      const decision = buildDecision({
        check,
        action: String(action),
        subject,
        field: typeof field === 'string' ? field : undefined,
        subjectType: subjectTypeName(ability.detectSubjectType(subject)),
        granted,
        rule,
        ability,
      }, this._config, this.ratio(), () => Math.random());
      if (decision !== undefined) void audit.decision(decision);
    } catch (err) {
      this.failures.reportOnce('recording a CASL check', err);
    }
  }
}

/** Captures the rule of the outermost lookup of the check in progress (see CheckFrame). */
function wrapRelevantRuleFor(original: AbilityPrototype['relevantRuleFor']): AbilityPrototype['relevantRuleFor'] {
  return function relevantRuleFor(this: AbilityLike, ...args: CheckArgs) {
    const current = frame;
    if (current === undefined || current.captured) return original.apply(this, args);
    current.depth++;
    let rule: ReturnType<AbilityPrototype['relevantRuleFor']>;
    try {
      rule = original.apply(this, args);
    } finally {
      current.depth--;
    }
    if (current.depth === 0 && !current.captured) {
      current.captured = true;
      current.rule = rule ?? null;
    }
    return rule;
  };
}
