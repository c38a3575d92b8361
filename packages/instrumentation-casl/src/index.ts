export { CaslInstrumentation, SUPPORTED_VERSIONS } from './instrumentation';
export { bypassWhenManageAll, IMPLICIT_DENY_REASON, permissionExpression } from './decision';
export type { CaslCheckInfo, CaslCheckKind, CaslInstrumentationConfig, CaslRuleView } from './types';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
