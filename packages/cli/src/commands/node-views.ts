import type { BackendName, BackendSeams, HybridConfig, NodeView } from '@hybrid-cpi/core';

/**
 * The node views of a config's backends (BackendModule.operator's nodeView: the Ironic backends,
 * and any plugin that offers one), each made once and shared by the reports of one command.
 * Close it when done.
 */
export class NodeViews {
  readonly #views: ReadonlyMap<BackendName, NodeView>;

  private constructor(views: ReadonlyMap<BackendName, NodeView>) {
    this.#views = views;
  }

  static async open(config: HybridConfig, seams: BackendSeams): Promise<NodeViews> {
    const views = new Map<BackendName, NodeView>();
    for (const { name, module, config: section } of config.backends.values()) {
      const operator = await module.operator?.();
      if (operator?.nodeView !== undefined) views.set(name, operator.nodeView(section, { name, seams }));
    }
    return new NodeViews(views);
  }

  /** The backends that have nodes to show, in the config's order. */
  names(): BackendName[] {
    return [...this.#views.keys()];
  }

  get(name: BackendName): NodeView | undefined {
    return this.#views.get(name);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#views.values()].map((view) => view.close()));
  }
}

/** `node-a (6f…)`, or the UUID alone for a nameless node. */
export function nodeLabel(node: { readonly uuid: string; readonly name?: string | null }): string {
  return node.name ? `${node.name} (${node.uuid})` : node.uuid;
}
