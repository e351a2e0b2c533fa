// The rules every SettingsStore follows, checked against each store target.
import { Types } from 'mongoose';
import { DEFAULT_DOCUMENT_SHAPE, type SettingsDocumentShape } from '../../src/settings/document-shape';
import type { SettingsDocuments } from '../../src/settings/memory-settings-store';
import { describeEachTarget } from './store-targets';

const OBJECT_ID_ACCOUNT = '64b7f0c2a1b2c3d4e5f60718';
const HEX_STRING_ACCOUNT = '65a1b2c3d4e5f60718293a4b';
const OBJECT_ID_USER = '66c2d3e4f5a6b7c8d9e0f1a2';

const graphSettings = (n: number) => ({
  tenantId: `tenant-${n}`,
  clientId: `client-${n}`,
  clientSecret: `secret-${n}`,
  senderEmail: `billing${n}@contoso.com`,
});

// Shaped like the ERP's documents; ids stored as strings and as ObjectIds, as the ERP does.
const DOCUMENTS: SettingsDocuments = {
  accounts: [
    { _id: 'acct-1', name: 'Contoso', emailProvider: 'microsoft-graph', microsoftGraph: graphSettings(1) },
    { _id: new Types.ObjectId(OBJECT_ID_ACCOUNT), emailProvider: 'microsoft-graph', microsoftGraph: graphSettings(2) },
    { _id: HEX_STRING_ACCOUNT, emailProvider: 'microsoft-graph', microsoftGraph: graphSettings(3) },
    {
      _id: 'acct-blank',
      emailProvider: '   ',
      microsoftGraph: { tenantId: '', clientId: '  client-4  ', clientSecret: null, senderEmail: ' ' },
    },
  ],
  users: [
    {
      _id: 'user-1',
      accountId: new Types.ObjectId(OBJECT_ID_ACCOUNT),
      emailProvider: 'microsoft-graph',
      microsoftGraph: { senderEmail: 'anna@contoso.com' },
    },
    { _id: new Types.ObjectId(OBJECT_ID_USER), accountId: 'acct-1', emailProvider: '' },
  ],
};

const ERP_SHAPE: SettingsDocumentShape = {
  accountsCollection: 'companies',
  usersCollection: 'staff',
  fields: {
    'account.emailProvider': 'settings.email.provider',
    'account.tenantId': 'settings.email.graph.tenant',
    'account.clientId': 'settings.email.graph.app.id',
    'account.clientSecret': 'settings.email.graph.app.secret',
    'account.senderEmail': 'settings.email.from',
    'user.accountId': 'companyRef',
    'user.emailProvider': 'prefs.mail.provider',
    'user.senderEmail': 'prefs.mail.from',
  },
  graphProviderValue: 'graph',
};

const ERP_DOCUMENTS: SettingsDocuments = {
  accounts: [
    {
      _id: 'company-9',
      // Fields the shape does not name are not read.
      microsoftGraph: graphSettings(9),
      settings: {
        email: { provider: 'graph', from: 'erp@fabrikam.com', graph: { tenant: 'tenant-9', app: { id: 'client-9', secret: 'secret-9' } } },
      },
    },
  ],
  users: [{ _id: 'staff-3', companyRef: 'company-9', prefs: { mail: { provider: 'graph', from: 'lee@fabrikam.com' } } }],
};

describeEachTarget('settings store contract', (target) => {
  test('finds an account by its string id', async () => {
    const store = await target.settingsStore(DOCUMENTS, DEFAULT_DOCUMENT_SHAPE);

    expect(await store.findAccount('acct-1')).toEqual({ accountId: 'acct-1', emailProvider: 'microsoft-graph', ...graphSettings(1) });
  });

  test('finds an account stored with an ObjectId _id by its hex id', async () => {
    const store = await target.settingsStore(DOCUMENTS, DEFAULT_DOCUMENT_SHAPE);

    expect(await store.findAccount(OBJECT_ID_ACCOUNT)).toEqual({
      accountId: OBJECT_ID_ACCOUNT,
      emailProvider: 'microsoft-graph',
      ...graphSettings(2),
    });
  });

  test('finds an account whose id looks like an ObjectId but is stored as a string', async () => {
    const store = await target.settingsStore(DOCUMENTS, DEFAULT_DOCUMENT_SHAPE);

    expect(await store.findAccount(HEX_STRING_ACCOUNT)).toEqual({
      accountId: HEX_STRING_ACCOUNT,
      emailProvider: 'microsoft-graph',
      ...graphSettings(3),
    });
  });

  test('finds users by string and ObjectId ids, reading an ObjectId accountId as its hex string', async () => {
    const store = await target.settingsStore(DOCUMENTS, DEFAULT_DOCUMENT_SHAPE);

    expect(await store.findUser('user-1')).toEqual({
      userId: 'user-1',
      accountId: OBJECT_ID_ACCOUNT,
      emailProvider: 'microsoft-graph',
      senderEmail: 'anna@contoso.com',
    });
    expect(await store.findUser(OBJECT_ID_USER)).toEqual({ userId: OBJECT_ID_USER, accountId: 'acct-1' });
  });

  test('maps custom, nested field paths from the document shape', async () => {
    const store = await target.settingsStore(ERP_DOCUMENTS, ERP_SHAPE);

    expect(await store.findAccount('company-9')).toEqual({
      accountId: 'company-9',
      emailProvider: 'graph',
      tenantId: 'tenant-9',
      clientId: 'client-9',
      clientSecret: 'secret-9',
      senderEmail: 'erp@fabrikam.com',
    });
    expect(await store.findUser('staff-3')).toEqual({
      userId: 'staff-3',
      accountId: 'company-9',
      emailProvider: 'graph',
      senderEmail: 'lee@fabrikam.com',
    });
  });

  test('a field path inside another configured path is still read', async () => {
    // A mistaken shape: emailProvider names the object that holds the other settings.
    const shape: SettingsDocumentShape = {
      ...DEFAULT_DOCUMENT_SHAPE,
      fields: { ...DEFAULT_DOCUMENT_SHAPE.fields, 'account.emailProvider': 'microsoftGraph' },
    };
    const store = await target.settingsStore(DOCUMENTS, shape);

    expect(await store.findAccount('acct-1')).toEqual({ accountId: 'acct-1', ...graphSettings(1) });
  });

  test('blank values read as missing, and values are trimmed', async () => {
    const store = await target.settingsStore(DOCUMENTS, DEFAULT_DOCUMENT_SHAPE);

    const account = await store.findAccount('acct-blank');
    expect(account).toEqual({ accountId: 'acct-blank', clientId: 'client-4' });
    expect(account?.emailProvider).toBeUndefined();
    expect(account?.tenantId).toBeUndefined();
    expect(account?.senderEmail).toBeUndefined();
    expect((await store.findUser(OBJECT_ID_USER))?.emailProvider).toBeUndefined();
  });

  test('finds accounts and users whose _id is a number, reading a numeric accountId as its decimal text', async () => {
    const store = await target.settingsStore(
      {
        accounts: [{ _id: 42, emailProvider: 'microsoft-graph', microsoftGraph: graphSettings(42) }],
        users: [{ _id: 7, accountId: 42, emailProvider: 'microsoft-graph', microsoftGraph: { senderEmail: 'lee@contoso.com' } }],
      },
      DEFAULT_DOCUMENT_SHAPE,
    );

    expect(await store.findAccount('42')).toEqual({ accountId: '42', emailProvider: 'microsoft-graph', ...graphSettings(42) });
    expect(await store.findUser('7')).toEqual({
      userId: '7',
      accountId: '42',
      emailProvider: 'microsoft-graph',
      senderEmail: 'lee@contoso.com',
    });
    expect(await store.findAccount('42.0')).toBeNull();
    expect(await store.findAccount('042')).toBeNull();
  });

  test('an unknown account or user reads as null', async () => {
    const store = await target.settingsStore(DOCUMENTS, DEFAULT_DOCUMENT_SHAPE);

    expect(await store.findAccount('acct-404')).toBeNull();
    expect(await store.findAccount('64b7f0c2a1b2c3d4e5f6ffff')).toBeNull();
    expect(await store.findUser('user-404')).toBeNull();
    expect(await store.findUser('66c2d3e4f5a6b7c8d9e0ffff')).toBeNull();
  });

  test('reads the allowed sender domains as a list, from an array or from text', async () => {
    const store = await target.settingsStore(
      {
        accounts: [
          { _id: 'acct-list', microsoftGraph: { ...graphSettings(5), allowedSenderDomains: [' Contoso.com ', 'contoso.de', 42, ''] } },
          { _id: 'acct-text', microsoftGraph: { ...graphSettings(6), allowedSenderDomains: 'contoso.com, @Contoso.DE;fabrikam.com' } },
          { _id: 'acct-empty', microsoftGraph: { ...graphSettings(7), allowedSenderDomains: [] } },
        ],
        users: [],
      },
      DEFAULT_DOCUMENT_SHAPE,
    );
    expect((await store.findAccount('acct-list'))?.allowedSenderDomains).toEqual(['contoso.com', 'contoso.de']);
    expect((await store.findAccount('acct-text'))?.allowedSenderDomains).toEqual(['contoso.com', 'contoso.de', 'fabrikam.com']);
    expect((await store.findAccount('acct-empty'))?.allowedSenderDomains).toBeUndefined();
    expect((await store.findAccount('acct-1'))?.allowedSenderDomains).toBeUndefined();
  });

  test('reads the allowed sender domains from the path SETTINGS_FIELDS names', async () => {
    const shape: SettingsDocumentShape = {
      ...ERP_SHAPE,
      fields: { ...ERP_SHAPE.fields, 'account.allowedSenderDomains': 'settings.email.allowedDomains' },
    };
    const documents: SettingsDocuments = {
      accounts: [{ _id: 'company-9', settings: { email: { provider: 'graph', allowedDomains: ['fabrikam.com'] } } }],
      users: [],
    };
    const store = await target.settingsStore(documents, shape);
    expect((await store.findAccount('company-9'))?.allowedSenderDomains).toEqual(['fabrikam.com']);
  });
});
