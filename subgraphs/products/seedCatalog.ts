/**
 * The demo catalog: 1,200 products over ten categories, generated from word lists by a seeded PRNG so
 * every fresh database gets exactly the same rows (ids, texts, prices, stock, timestamps). The names
 * and descriptions are made of real words so full-text search has something meaningful to find.
 */
import type { Statement } from '../kit/index.js';
import type { Product } from './productStore.js';

/**
 * A seeded product; its createdAt is also its initial updated_at. Weights came with a later
 * migration (catalogWeightStatements), so the third migration's rows have none.
 */
export type SeedProduct = Omit<Product, 'updatedAt' | 'weightGrams'>;

export const SEED_PRODUCT_COUNT = 1_200;
const SEED = 0x5eed_2025;
/** Fixed, so the data never depends on when the migration ran. */
const CREATED_AT_BASE = Date.UTC(2025, 0, 1);
const CREATED_AT_STEP_MS = 37 * 60_000;
const ROWS_PER_INSERT = 200;

/** mulberry32: a tiny, well-distributed 32-bit PRNG; the same seed always yields the same sequence. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface CategoryWords {
  name: string;
  skuPrefix: string;
  brands: string[];
  adjectives: string[];
  /** Product kinds, each with the sizes or variants it comes in. */
  items: [string, string[]][];
  features: string[];
  uses: string[];
  /** Price range in whole currency units. */
  price: [number, number];
}

const CATEGORIES: CategoryWords[] = [
  {
    name: 'Electronics',
    skuPrefix: 'ELE',
    brands: ['Voltra', 'Lumina', 'Kestrel', 'Nordwave', 'Pixelon', 'Arcadia'],
    adjectives: ['Wireless', 'Compact', 'Ultra-Slim', 'Pro', 'Rugged', 'Smart', 'Portable', 'Studio'],
    items: [
      ['Bluetooth Speaker', ['10W', '20W', '40W']],
      ['Noise-Cancelling Headphones', ['Over-Ear', 'On-Ear']],
      ['Earbuds', ['with Charging Case', 'Sport Edition']],
      ['Power Bank', ['10000mAh', '20000mAh', '26800mAh']],
      ['USB-C Charger', ['30W', '65W', '100W']],
      ['Mechanical Keyboard', ['Tenkeyless', 'Full-Size', '75%']],
      ['Gaming Mouse', ['16000 DPI', '26000 DPI']],
      ['Monitor', ['24-inch', '27-inch', '32-inch']],
      ['Webcam', ['1080p', '4K']],
      ['Action Camera', ['4K', '5K']],
      ['Smartwatch', ['41mm', '45mm']],
      ['External SSD', ['500GB', '1TB', '2TB']],
      ['Soundbar', ['2.1 Channel', '5.1 Channel']],
      ['Dash Cam', ['Front and Rear', '1440p']],
    ],
    features: [
      'a 30-hour battery',
      'fast USB-C charging',
      'Bluetooth 5.3 pairing',
      'active noise cancellation',
      'a scratch-resistant glass finish',
      'a low-latency gaming mode',
      'water resistance rated IPX7',
      'a companion app for firmware updates',
      'multi-device switching',
      'a braided cable in the box',
    ],
    uses: [
      'Ideal for commuting, workouts and long flights.',
      'Built for home offices and streaming setups.',
      'A reliable companion for travel and everyday carry.',
      'Made for gamers who want precision and speed.',
    ],
    price: [15, 1499],
  },
  {
    name: 'Books',
    skuPrefix: 'BOO',
    brands: ['Harbor Press', 'Quill & Lantern', 'Evergreen Books', 'Meridian House', 'Foxglove Editions'],
    adjectives: ['Illustrated', 'Complete', 'Pocket', 'Annotated', 'Hardcover', 'Collected', 'Beginner'],
    items: [
      ['Guide to Sourdough Baking', ['Second Edition', 'Paperback']],
      ['Atlas of the Night Sky', ['Deluxe Edition', 'Paperback']],
      ['History of the Silk Road', ['Hardcover', 'Paperback']],
      ['Mystery Novel Collection', ['Volume 1', 'Volume 2', 'Box Set']],
      ['Field Guide to Birds', ['North America', 'Europe']],
      ['Introduction to Python Programming', ['Third Edition', 'Workbook']],
      ['Watercolor Painting Handbook', ['Spiral Bound', 'Paperback']],
      ['Science Fiction Anthology', ['Volume 1', 'Volume 2']],
      ['Mindful Gardening Journal', ['Undated', '2026']],
      ['Children\'s Bedtime Stories', ['Board Book', 'Hardcover']],
      ['Cookbook of Mediterranean Recipes', ['Hardcover', 'Paperback']],
      ['Biography of a Mountaineer', ['Hardcover', 'Paperback']],
    ],
    features: [
      'full-color photographs',
      'step-by-step instructions',
      'a foreword by a renowned author',
      'maps and timelines',
      'practical exercises at the end of each chapter',
      'lay-flat binding',
      'an index of key terms',
      'hand-drawn illustrations',
    ],
    uses: [
      'A thoughtful gift for curious readers.',
      'Perfect for book clubs and quiet evenings.',
      'Written for beginners and seasoned enthusiasts alike.',
      'Great for classrooms and self-study.',
    ],
    price: [6, 59],
  },
  {
    name: 'Home & Kitchen',
    skuPrefix: 'HOM',
    brands: ['Copperleaf', 'Hearthstone', 'Casa Bella', 'Oakline', 'Brightmill'],
    adjectives: ['Stainless Steel', 'Nonstick', 'Ceramic', 'Cast Iron', 'Bamboo', 'Glass', 'Programmable'],
    items: [
      ['Chef\'s Knife', ['8-inch', '10-inch']],
      ['Frying Pan', ['10-inch', '12-inch']],
      ['Dutch Oven', ['4 Quart', '6 Quart']],
      ['Coffee Maker', ['12-Cup', 'Single Serve']],
      ['French Press', ['34 oz', '12 oz']],
      ['Cutting Board', ['Large', 'Set of 3']],
      ['Blender', ['1200W', '1500W']],
      ['Food Storage Containers', ['Set of 10', 'Set of 24']],
      ['Electric Kettle', ['1.7 Liter', '1 Liter']],
      ['Bath Towel Set', ['4 Piece', '6 Piece']],
      ['Table Lamp', ['Warm White', 'Dimmable']],
      ['Throw Blanket', ['50x60', '60x80']],
      ['Air Fryer', ['5 Quart', '8 Quart']],
    ],
    features: [
      'a dishwasher-safe design',
      'an ergonomic handle',
      'even heat distribution',
      'BPA-free materials',
      'a stain-resistant finish',
      'a keep-warm setting',
      'soft, absorbent cotton',
      'a space-saving footprint',
    ],
    uses: [
      'Makes weeknight dinners quick and easy.',
      'A handsome addition to any kitchen counter.',
      'Designed for busy families and small apartments.',
      'Brings comfort and warmth to the living room.',
    ],
    price: [9, 349],
  },
  {
    name: 'Outdoors',
    skuPrefix: 'OUT',
    brands: ['Northpeak', 'Trailcraft', 'Summit Ridge', 'Wildfern', 'Basecamp Co.'],
    adjectives: ['Waterproof', 'Ultralight', 'Insulated', 'Packable', 'All-Season', 'Rugged', 'Windproof'],
    items: [
      ['Hiking Backpack', ['30L', '45L', '65L']],
      ['Camping Tent', ['2-Person', '4-Person', '6-Person']],
      ['Sleeping Bag', ['20°F', '35°F']],
      ['Trekking Poles', ['Pair', 'Carbon']],
      ['Headlamp', ['300 Lumen', '600 Lumen']],
      ['Water Filter', ['Squeeze', 'Pump']],
      ['Camp Stove', ['Single Burner', 'Two Burner']],
      ['Rain Jacket', ['Men\'s', 'Women\'s']],
      ['Hammock', ['Single', 'Double']],
      ['Cooler', ['25 Quart', '45 Quart']],
      ['Hiking Boots', ['Men\'s', 'Women\'s']],
      ['Camping Chair', ['Folding', 'High Back']],
    ],
    features: [
      'taped seams and a storm flap',
      'breathable mesh panels',
      'reinforced stitching',
      'a hydration sleeve',
      'a compact stuff sack',
      'reflective trim for night visibility',
      'rustproof aluminum poles',
      'a lifetime warranty',
    ],
    uses: [
      'Ready for weekend trails, alpine lakes and rainy campsites.',
      'Built for backpacking trips and long days in the mountains.',
      'A dependable pick for family camping and festivals.',
      'Light enough for thru-hikes, tough enough for winter.',
    ],
    price: [12, 599],
  },
  {
    name: 'Toys',
    skuPrefix: 'TOY',
    brands: ['Tumblebee', 'BrightBlocks', 'Wonderkin', 'Pebble & Pip', 'Rocket Otter'],
    adjectives: ['Wooden', 'Magnetic', 'Remote Control', 'Plush', 'Educational', 'Glow-in-the-Dark', 'Classic'],
    items: [
      ['Building Blocks Set', ['100 Pieces', '250 Pieces', '500 Pieces']],
      ['Race Car', ['1:16 Scale', '1:24 Scale']],
      ['Teddy Bear', ['12-inch', '18-inch']],
      ['Puzzle', ['500 Pieces', '1000 Pieces']],
      ['Train Set', ['Starter', 'Deluxe']],
      ['Dinosaur Figures', ['Set of 6', 'Set of 12']],
      ['Board Game', ['Family Edition', 'Travel Edition']],
      ['Science Kit', ['Volcano', 'Crystal Growing']],
      ['Doll House', ['Two Story', 'Three Story']],
      ['Stacking Rings', ['Rainbow', 'Pastel']],
      ['Kite', ['Delta', 'Box']],
    ],
    features: [
      'non-toxic paints',
      'rounded, child-safe edges',
      'rechargeable batteries',
      'easy-to-follow picture instructions',
      'a sturdy storage box',
      'bright, cheerful colors',
      'pieces sized for small hands',
    ],
    uses: [
      'Encourages creativity, problem solving and imaginative play.',
      'Great for birthdays, holidays and rainy afternoons.',
      'Suitable for ages 3 and up.',
      'Fun for the whole family on game night.',
    ],
    price: [7, 149],
  },
  {
    name: 'Clothing',
    skuPrefix: 'CLO',
    brands: ['Loomhouse', 'Urban Thread', 'Saltmarsh', 'Fieldnote', 'Linden & Co.'],
    adjectives: ['Organic Cotton', 'Merino Wool', 'Linen', 'Fleece', 'Denim', 'Relaxed Fit', 'Slim Fit'],
    items: [
      ['T-Shirt', ['Small', 'Medium', 'Large', 'X-Large']],
      ['Hoodie', ['Small', 'Medium', 'Large']],
      ['Crew Socks', ['3 Pack', '6 Pack']],
      ['Chino Pants', ['30W', '32W', '34W']],
      ['Button-Down Shirt', ['Medium', 'Large']],
      ['Cardigan', ['Small', 'Medium', 'Large']],
      ['Jeans', ['30W', '32W', '34W']],
      ['Beanie', ['One Size']],
      ['Puffer Vest', ['Medium', 'Large']],
      ['Running Shorts', ['Small', 'Medium', 'Large']],
      ['Scarf', ['One Size']],
    ],
    features: [
      'a soft brushed interior',
      'reinforced seams',
      'a tag-free collar',
      'moisture-wicking fabric',
      'pre-shrunk material',
      'deep side pockets',
      'a tailored silhouette',
    ],
    uses: [
      'An everyday staple that layers well in every season.',
      'Comfortable enough for the weekend, sharp enough for the office.',
      'Machine washable and made to last.',
      'Ethically made in small batches.',
    ],
    price: [8, 189],
  },
  {
    name: 'Beauty',
    skuPrefix: 'BEA',
    brands: ['Rosewell', 'Aurelia', 'Pure Petal', 'Verdant Skin', 'Maison Lys'],
    adjectives: ['Hydrating', 'Fragrance-Free', 'Vegan', 'Nourishing', 'Brightening', 'Gentle', 'Travel-Size'],
    items: [
      ['Face Moisturizer', ['50 ml', '100 ml']],
      ['Vitamin C Serum', ['30 ml']],
      ['Sunscreen SPF 50', ['50 ml', '100 ml']],
      ['Shampoo', ['250 ml', '500 ml']],
      ['Conditioner', ['250 ml', '500 ml']],
      ['Lip Balm', ['Set of 3', 'Single']],
      ['Hand Cream', ['75 ml']],
      ['Clay Face Mask', ['100 g']],
      ['Body Wash', ['400 ml']],
      ['Makeup Brush Set', ['8 Piece', '12 Piece']],
      ['Eau de Parfum', ['30 ml', '50 ml']],
    ],
    features: [
      'hyaluronic acid',
      'shea butter and jojoba oil',
      'a lightweight, non-greasy texture',
      'a recyclable glass bottle',
      'soothing aloe vera',
      'dermatologist-tested ingredients',
      'a subtle botanical scent',
    ],
    uses: [
      'Suitable for sensitive and dry skin.',
      'A simple step for morning and evening routines.',
      'Cruelty-free and made without parabens.',
      'Leaves skin soft, smooth and refreshed.',
    ],
    price: [5, 129],
  },
  {
    name: 'Sports',
    skuPrefix: 'SPO',
    brands: ['Velocity', 'Ironform', 'Apex Athletics', 'Stride Labs', 'Courtside'],
    adjectives: ['Adjustable', 'Non-Slip', 'Lightweight', 'Professional', 'Foldable', 'Heavy-Duty', 'Training'],
    items: [
      ['Yoga Mat', ['4mm', '6mm']],
      ['Dumbbell Set', ['20 lb', '50 lb']],
      ['Jump Rope', ['Speed', 'Weighted']],
      ['Resistance Bands', ['Set of 5', 'Set of 3']],
      ['Basketball', ['Size 6', 'Size 7']],
      ['Soccer Ball', ['Size 4', 'Size 5']],
      ['Tennis Racket', ['Strung', 'Junior']],
      ['Running Shoes', ['Men\'s', 'Women\'s']],
      ['Cycling Helmet', ['Medium', 'Large']],
      ['Foam Roller', ['18-inch', '36-inch']],
      ['Water Bottle', ['24 oz', '32 oz']],
      ['Kettlebell', ['15 lb', '25 lb', '35 lb']],
    ],
    features: [
      'a grippy textured surface',
      'sweat-resistant materials',
      'a carrying strap',
      'vacuum insulation',
      'impact-absorbing foam',
      'a tournament-grade build',
      'quick-adjust dials',
    ],
    uses: [
      'Built for home gyms, studios and outdoor training.',
      'Helps you train harder and recover faster.',
      'Trusted by coaches, clubs and weekend athletes.',
      'A smart choice for beginners and competitive players.',
    ],
    price: [6, 299],
  },
  {
    name: 'Grocery',
    skuPrefix: 'GRO',
    brands: ['Harvest Table', 'Golden Acre', 'Little Orchard', 'Blue Mesa', 'Stonegrind'],
    adjectives: ['Organic', 'Fair Trade', 'Gluten-Free', 'Roasted', 'Cold-Pressed', 'Small-Batch', 'Raw'],
    items: [
      ['Coffee Beans', ['12 oz', '2 lb']],
      ['Green Tea', ['20 Bags', '100 Bags']],
      ['Extra Virgin Olive Oil', ['500 ml', '1 Liter']],
      ['Almond Butter', ['12 oz', '16 oz']],
      ['Dark Chocolate Bar', ['70% Cacao', '85% Cacao']],
      ['Wildflower Honey', ['12 oz', '24 oz']],
      ['Granola', ['12 oz', '24 oz']],
      ['Pasta Sauce', ['24 oz']],
      ['Rolled Oats', ['2 lb', '5 lb']],
      ['Trail Mix', ['Snack Packs', '26 oz']],
      ['Maple Syrup', ['8 oz', '32 oz']],
    ],
    features: [
      'no artificial flavors',
      'sustainably sourced ingredients',
      'a resealable pouch',
      'rich, balanced flavor',
      'whole grains and seeds',
      'nothing but natural sweeteners',
    ],
    uses: [
      'A pantry favorite for breakfast and snacking.',
      'Great for baking, cooking and gifting.',
      'Enjoy it at home, at work or on the trail.',
      'Sourced from family farms and small producers.',
    ],
    price: [3, 39],
  },
  {
    name: 'Office',
    skuPrefix: 'OFF',
    brands: ['Paperwise', 'Deskcraft', 'Inkwell', 'Modular Works', 'Clearline'],
    adjectives: ['Ergonomic', 'Refillable', 'Recycled', 'Adjustable', 'Magnetic', 'Premium', 'Minimalist'],
    items: [
      ['Office Chair', ['Mesh', 'Leather']],
      ['Standing Desk', ['48-inch', '60-inch']],
      ['Notebook', ['A5 Dotted', 'A5 Lined', 'A4 Grid']],
      ['Fountain Pen', ['Fine Nib', 'Medium Nib']],
      ['Gel Pens', ['12 Pack', '24 Pack']],
      ['Desk Organizer', ['3 Tier', '5 Compartment']],
      ['Monitor Stand', ['Single', 'Dual']],
      ['Whiteboard', ['24x36', '36x48']],
      ['Paper Shredder', ['8 Sheet', '12 Sheet']],
      ['Label Maker', ['Handheld', 'Desktop']],
      ['Sticky Notes', ['12 Pads', '24 Pads']],
    ],
    features: [
      'smooth, smudge-free ink',
      'lumbar support',
      'a cable management tray',
      'acid-free paper',
      'a sturdy steel frame',
      'quiet operation',
      'a clean, modern look',
    ],
    uses: [
      'Keeps your workspace tidy and productive.',
      'A solid upgrade for home offices and classrooms.',
      'Designed for long workdays and focused study.',
      'Perfect for planners, note-takers and creatives.',
    ],
    price: [3, 699],
  },
];

export const SEED_CATEGORIES = CATEGORIES.map((c) => c.name);

/** The whole demo catalog, identical on every call. */
export function generateCatalog(count = SEED_PRODUCT_COUNT, seed = SEED): SeedProduct[] {
  const random = mulberry32(seed);
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const perCategory = new Map<string, number>();
  const products: SeedProduct[] = [];

  for (let i = 1; i <= count; i++) {
    const category = pick(CATEGORIES);
    const number = (perCategory.get(category.name) ?? 0) + 1;
    perCategory.set(category.name, number);

    const brand = pick(category.brands);
    const adjective = pick(category.adjectives);
    const [item, variants] = pick(category.items);
    const variant = pick(variants);
    const [featureA, featureB] = twoDistinct(category.features, random);

    const name = `${brand} ${adjective} ${item} ${variant}`;
    const description =
      `${adjective} ${item.toLowerCase()} (${variant}) from ${brand}, ` +
      `with ${featureA} and ${featureB}. ${pick(category.uses)}`;

    // Skewed towards the low end of the range, as real catalogs are; prices end in .99 or .49.
    const [low, high] = category.price;
    const whole = Math.round(low + (high - low) * random() ** 2.2);
    const priceCents = whole * 100 + (random() < 0.8 ? 99 : 49);
    const stock = random() < 0.03 ? 0 : between(1, 500);

    products.push({
      id: `prod_${String(i).padStart(4, '0')}`,
      sku: `${category.skuPrefix}-${String(number).padStart(4, '0')}`,
      name,
      description,
      category: category.name,
      priceCents,
      currency: 'USD',
      stock,
      createdAt: new Date(CREATED_AT_BASE + i * CREATED_AT_STEP_MS).toISOString(),
    });
  }
  return products;
}

function twoDistinct<T>(list: T[], random: () => number): [T, T] {
  const first = Math.floor(random() * list.length);
  const second = (first + 1 + Math.floor(random() * (list.length - 1))) % list.length;
  return [list[first], list[second]];
}

/** Multi-row INSERTs of ROWS_PER_INSERT rows each, for one migration transaction. */
export function catalogInsertStatements(products: SeedProduct[] = generateCatalog()): Statement[] {
  const statements: Statement[] = [];
  for (let start = 0; start < products.length; start += ROWS_PER_INSERT) {
    const chunk = products.slice(start, start + ROWS_PER_INSERT);
    const params: (string | number)[] = [];
    const rows = chunk.map((p) => {
      const base = params.length;
      params.push(p.id, p.sku, p.name, p.description, p.category, p.priceCents, p.currency, p.stock, p.createdAt);
      const n = (k: number) => `$${base + k}`;
      return `(${n(1)}, ${n(2)}, ${n(3)}, ${n(4)}, ${n(5)}, ${n(6)}, ${n(7)}, ${n(8)}, ${n(9)}::timestamptz, ${n(9)}::timestamptz)`;
    });
    statements.push({
      sql:
        'INSERT INTO products (id, sku, name, description, category, price_cents, currency, stock, created_at, updated_at) VALUES ' +
        rows.join(', '),
      params,
    });
  }
  return statements;
}

const WEIGHT_SEED = 0x3e19_4a7d;

/** Shipping weight range per category in grams, packaging included. */
const WEIGHT_GRAMS: Record<string, [number, number]> = {
  Electronics: [80, 4_000],
  Books: [150, 1_500],
  'Home & Kitchen': [200, 6_000],
  Outdoors: [150, 5_000],
  Toys: [50, 2_000],
  Clothing: [100, 1_500],
  Beauty: [30, 600],
  Sports: [100, 8_000],
  Grocery: [50, 2_000],
  Office: [20, 3_000],
};

/**
 * The shipping weight of every seeded product, by id: within its category's range, skewed towards
 * the light end and rounded to 10 g, from its own fixed-seed PRNG so it never disturbs the catalog's.
 */
export function generateCatalogWeights(products: SeedProduct[] = generateCatalog(), seed = WEIGHT_SEED): Map<string, number> {
  const random = mulberry32(seed);
  const weights = new Map<string, number>();
  for (const product of products) {
    const [low, high] = WEIGHT_GRAMS[product.category] ?? [100, 2_000];
    const grams = low + (high - low) * random() ** 2;
    weights.set(product.id, Math.max(10, Math.round(grams / 10) * 10));
  }
  return weights;
}

/**
 * Sets the seeded products' weights in one statement; rows that are not seeded products keep the
 * column default.
 */
export function catalogWeightStatements(weights: Map<string, number> = generateCatalogWeights()): Statement[] {
  return [
    {
      sql:
        'UPDATE products SET weight_grams = w.grams FROM unnest($1::text[], $2::int[]) AS w(id, grams) ' +
        'WHERE products.id = w.id',
      params: [[...weights.keys()], [...weights.values()]],
    },
  ];
}
