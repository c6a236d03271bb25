/**
 * The benchmark's data set: users, products and reviews, generated deterministically in memory, so
 * every gateway in a run sees the same answers and no database is measured. Sizes are chosen so the
 * heavy query (bench/queries.ts) answers about 80 KB of JSON.
 */
export interface BenchUser {
  id: string;
  name: string;
  username: string;
  birthday: number;
}

export interface BenchProduct {
  upc: string;
  name: string;
  price: number;
  weight: number;
  inStock: boolean;
}

export interface BenchReview {
  id: string;
  body: string;
  authorId: string;
  productUpc: string;
}

export interface BenchData {
  users: BenchUser[];
  products: BenchProduct[];
  reviews: BenchReview[];
  usersById: Map<string, BenchUser>;
  productsByUpc: Map<string, BenchProduct>;
  reviewsById: Map<string, BenchReview>;
  reviewsByAuthor: Map<string, BenchReview[]>;
  reviewsByProduct: Map<string, BenchReview[]>;
}

export interface BenchDataSize {
  /** @default 10 */
  users?: number;
  /** @default 20 */
  products?: number;
  /** Reviews each user wrote. @default 4 */
  reviewsPerUser?: number;
}

const WORDS = ['sturdy', 'light', 'bright', 'quiet', 'warm', 'compact', 'solid', 'handy', 'smooth', 'crisp', 'fresh', 'clean'];

export function createBenchData(size: BenchDataSize = {}): BenchData {
  const userCount = size.users ?? 10;
  const productCount = size.products ?? 20;
  const perUser = size.reviewsPerUser ?? 4;
  const users: BenchUser[] = [];
  for (let i = 1; i <= userCount; i++) {
    users.push({ id: `u${i}`, name: `User Number ${i}`, username: `user_${i}`, birthday: 1_000_000 + i * 86_400 });
  }
  const products: BenchProduct[] = [];
  for (let i = 1; i <= productCount; i++) {
    products.push({
      upc: `upc-${String(i).padStart(4, '0')}`,
      name: `Product ${i} ${WORDS[i % WORDS.length]}`,
      price: 100 + ((i * 37) % 900),
      weight: 50 + ((i * 53) % 450),
      inStock: i % 3 !== 0,
    });
  }
  const reviews: BenchReview[] = [];
  let n = 0;
  for (const user of users) {
    for (let k = 0; k < perUser; k++) {
      n++;
      const product = products[(n * 7) % products.length];
      const words = [WORDS[n % WORDS.length], WORDS[(n * 5) % WORDS.length], WORDS[(n * 11) % WORDS.length]];
      reviews.push({ id: `r${n}`, body: `Review ${n}: ${words.join(', ')} and worth it`, authorId: user.id, productUpc: product.upc });
    }
  }
  const group = <K>(key: (r: BenchReview) => K) => {
    const map = new Map<K, BenchReview[]>();
    for (const review of reviews) {
      const list = map.get(key(review));
      if (list) list.push(review);
      else map.set(key(review), [review]);
    }
    return map;
  };
  return {
    users,
    products,
    reviews,
    usersById: new Map(users.map((u) => [u.id, u])),
    productsByUpc: new Map(products.map((p) => [p.upc, p])),
    reviewsById: new Map(reviews.map((r) => [r.id, r])),
    reviewsByAuthor: group((r) => r.authorId),
    reviewsByProduct: group((r) => r.productUpc),
  };
}

/** The shipping rule the inventory subgraph computes from the @requires fields. */
export function shippingEstimate(product: { price: number; weight: number }): number {
  return product.price > 1000 ? 0 : Math.round(product.weight * 0.5);
}
