/** The search database: the document index and the change-feed cursor. Released versions are never edited. */
import type { Migration } from '../kit/index.js';

export const searchMigrations: Migration[] = [
  {
    version: 1,
    name: 'search documents and sync state',
    statements: [
      {
        // The weights rank a match in the name above one in the category, and that above one in the description.
        sql: `CREATE TABLE search_documents (
          product_id text PRIMARY KEY,
          sku text NOT NULL,
          name text NOT NULL,
          description text NOT NULL,
          category text NOT NULL,
          updated_at timestamptz NOT NULL,
          indexed_at timestamptz NOT NULL DEFAULT now(),
          document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('english', name), 'A') ||
            setweight(to_tsvector('english', category), 'B') ||
            setweight(to_tsvector('english', description), 'C')
          ) STORED
        )`,
      },
      { sql: 'CREATE INDEX search_documents_document_idx ON search_documents USING gin (document)' },
      { sql: 'CREATE INDEX search_documents_category_idx ON search_documents (category)' },
      {
        sql: `CREATE TABLE sync_state (
          source text PRIMARY KEY,
          cursor_since timestamptz,
          updated_at timestamptz NOT NULL DEFAULT now()
        )`,
      },
    ],
  },
];
