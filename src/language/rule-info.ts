export interface RuleInfo {
  index: number;
  name?: string;
  template?: string;
  line: number;
  /** the @RuleName value, else `#<index+1> (line <line>)` */
  label: string;
}
