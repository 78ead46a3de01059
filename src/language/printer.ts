import type { Condition, Constraint, Expression, Issuance, PropertyName, Rule, RuleSet, Selector } from './ast.js';

function str(value: string): string {
  return `"${value}"`;
}

function prop(property: PropertyName, key: string | undefined): string {
  return property === 'Properties' ? `Properties[${str(key ?? '')}]` : property;
}

export function printExpression(e: Expression): string {
  switch (e.kind) {
    case 'String': return str(e.value);
    case 'PropertyRef': return `${e.tag}.${prop(e.property, e.key)}`;
    case 'Concat': return e.parts.map(printExpression).join(' + ');
    case 'Call': return `${e.name}(${e.args.map(printExpression).join(', ')})`;
  }
}

function printConstraint(c: Constraint): string {
  return `${prop(c.property, c.key)} ${c.op} ${printExpression(c.value)}`;
}

function printSelector(s: Selector): string {
  return `${s.tag !== undefined ? `${s.tag}:` : ''}[${s.constraints.map(printConstraint).join(', ')}]`;
}

function printCondition(c: Condition): string {
  if (c.kind === 'Selector') return printSelector(c);
  const inner = printSelector(c.selector);
  if (c.fn === 'exists') return `exists(${inner})`;
  if (c.fn === 'notExists') return `NOT exists(${inner})`;
  return `count(${inner}) ${c.op ?? '>'} ${c.count ?? 0}`;
}

function printIssuance(i: Issuance): string {
  let args: string;
  if (i.kind === 'Copy') args = `claim = ${i.tag}`;
  else if (i.kind === 'NewClaim') args = i.assignments.map((a) => `${prop(a.property, a.key)} = ${printExpression(a.value)}`).join(', ');
  else {
    args = [`store = ${str(i.store.value)}`, `types = (${i.types.map((t) => str(t.value)).join(', ')})`, `query = ${str(i.query.value)}`, ...i.params.map((p) => `param = ${printExpression(p)}`)].join(', ');
  }
  return `${i.action}(${args})`;
}

export function printRule(rule: Rule): string {
  const lines = rule.annotations.map((a) => `@${a.name} = ${str(a.value)}`);
  rule.conditions.forEach((c, k) => lines.push(k === 0 ? printCondition(c) : ` && ${printCondition(c)}`));
  lines.push(`${lines.length > 0 ? ' ' : ''}=> ${printIssuance(rule.issuance)};`);
  return lines.join('\n');
}

/** Canonical text: one blank line between rules, canonical keyword spelling, LF line ends. */
export function printRuleSet(ast: RuleSet): string {
  if (ast.rules.length === 0) return '';
  return `${ast.rules.map(printRule).join('\n\n')}\n`;
}
