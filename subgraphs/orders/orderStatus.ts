/** The order lifecycle: which status may follow which. */
export const ORDER_STATUSES = ['PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** For each target status, the statuses an order may move to it from. */
const ALLOWED_FROM: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: [],
  PAID: ['PENDING'],
  SHIPPED: ['PAID'],
  DELIVERED: ['SHIPPED'],
  CANCELLED: ['PENDING', 'PAID'],
};

export function allowedSources(target: OrderStatus): readonly OrderStatus[] {
  return ALLOWED_FROM[target];
}

export function canMove(from: OrderStatus, to: OrderStatus): boolean {
  return ALLOWED_FROM[to].includes(from);
}
