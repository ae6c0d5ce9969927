import type { Template } from './packaged-template';

/**
 * What CloudFormation would make of a template value in a given account and region: pseudo parameters,
 * template parameters (their defaults), Fn::Join, Fn::Select, Fn::Split, Fn::Sub and Fn::If (with conditions built from Fn::Equals/Fn::Not) are evaluated;
 * anything else (a reference to a resource) is left as it is. Enough to read an ARN the way IAM will see it.
 */

export const EXAMPLE_PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::AccountId': '123456789012',
  'AWS::Region': 'us-east-1',
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

type Value = unknown;

/** What `Ref: AWS::NoValue` evaluates to: CloudFormation leaves out the property or list element. */
export const NO_VALUE = Symbol('AWS::NoValue');

/** An object's entries evaluated, without those that evaluate to AWS::NoValue. */
function evaluatedObject(entries: [string, Value][], again: (inner: Value) => Value): Value {
  return Object.fromEntries(
    entries.map(([key, inner]) => [key, again(inner)]).filter(([, evaluated]) => evaluated !== NO_VALUE),
  );
}

/** Evaluates `value` as CloudFormation would, leaving references to resources unevaluated. */
export function evaluate(template: Template, value: Value, pseudo = EXAMPLE_PSEUDO_PARAMETERS): Value {
  const again = (inner: Value) => evaluate(template, inner, pseudo);
  if (Array.isArray(value)) return value.map(again).filter((evaluated) => evaluated !== NO_VALUE);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [name, argument] = entries[0] ?? [];
  if (entries.length !== 1 || name === undefined) return evaluatedObject(entries, again);
  if (name === 'Ref' && argument === 'AWS::NoValue') return NO_VALUE;
  if (name === 'Ref' && typeof argument === 'string' && argument in pseudo) return pseudo[argument];
  // `serverless deploy` passes no parameter values: CloudFormation takes each template parameter's default.
  if (name === 'Ref' && typeof argument === 'string' && template.Parameters?.[argument]) {
    return template.Parameters[argument].Default;
  }
  if (name === 'Fn::Join') {
    const [separator, parts] = argument as [string, Value[]];
    const evaluated = parts.map(again);
    return evaluated.every((part) => typeof part === 'string') ? evaluated.join(separator) : value;
  }
  if (name === 'Fn::Split') {
    const [separator, text] = argument as [string, Value];
    const evaluated = again(text);
    return typeof evaluated === 'string' ? evaluated.split(separator) : value;
  }
  if (name === 'Fn::Select') {
    const [index, list] = argument as [number | string, Value];
    const evaluated = again(list);
    return Array.isArray(evaluated) ? evaluated[Number(index)] : value;
  }
  if (name === 'Fn::Sub') {
    // `${Name}` from the pseudo parameters (and any template parameters given with them); `${Resource.Attr}`
    // or an unknown name leaves the whole value as it is.
    const [text, variables] = (typeof argument === 'string' ? [argument, {}] : argument) as [
      string,
      Record<string, Value>,
    ];
    const known: Record<string, Value> = { ...pseudo, ...(again(variables) as Record<string, Value>) };
    const names = [...text.matchAll(/\$\{([^}!]+)\}/g)].map((match) => match[1] as string);
    if (!names.every((variable) => typeof known[variable] === 'string')) return value;
    return text.replace(/\$\{([^}!]+)\}/g, (_, variable: string) => known[variable] as string);
  }
  if (name === 'Fn::If') {
    const [condition, whenTrue, whenFalse] = argument as [string, Value, Value];
    return again(conditionHolds(template, condition, pseudo) ? whenTrue : whenFalse);
  }
  return evaluatedObject(entries, again);
}

/** The truth of a named condition in the template's Conditions section. */
export function conditionHolds(
  template: Template,
  name: string,
  pseudo = EXAMPLE_PSEUDO_PARAMETERS,
): boolean {
  const definition = template.Conditions?.[name];
  if (definition === undefined) throw new Error(`No condition ${name} in the template`);
  return truth(template, definition, pseudo);
}

function truth(template: Template, expression: Value, pseudo: Record<string, string>): boolean {
  const [name, argument] = Object.entries(expression as object)[0] ?? [];
  if (name === 'Fn::Equals') {
    const [left, right] = (argument as Value[]).map((side) => evaluate(template, side, pseudo));
    return JSON.stringify(left) === JSON.stringify(right);
  }
  if (name === 'Fn::Not') return !truth(template, (argument as Value[])[0], pseudo);
  if (name === 'Condition') return conditionHolds(template, argument as string, pseudo);
  throw new Error(`Condition function ${String(name)} is not evaluated here`);
}
